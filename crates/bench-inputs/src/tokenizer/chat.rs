//! Chat templates (Jinja, from GGUF `tokenizer.chat_template` or `tokenizer_config.json`)
//! rendered with minijinja the way Hugging Face transformers renders them.

use minijinja::{Environment, ErrorKind, context};

use crate::error::{Error, Result};

const NAME: &str = "chat";

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate").finish_non_exhaustive()
    }
}

fn template_err(e: &minijinja::Error) -> Error {
    Error::Template(format!("{e:#}"))
}

impl ChatTemplate {
    /// Compile `source` with transformers' settings: `trim_blocks`, `lstrip_blocks`, Python
    /// string methods, `raise_exception`.
    pub fn new(source: String) -> Result<ChatTemplate> {
        let mut env = Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_template_owned(NAME, source)
            .map_err(|e| template_err(&e))?;
        Ok(ChatTemplate { env })
    }

    /// Render `messages` (`(role, content)`: `system`, `user`, `assistant`) followed by the
    /// assistant's generation prompt.
    pub fn render_messages(
        &self,
        messages: &[(&str, &str)],
        bos_token: &str,
        eos_token: &str,
    ) -> Result<String> {
        let template = self.env.get_template(NAME).map_err(|e| template_err(&e))?;
        let messages: Vec<_> = messages
            .iter()
            .map(|(role, content)| context! { role => role, content => content })
            .collect();
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => bos_token,
                eos_token => eos_token,
            })
            .map_err(|e| template_err(&e))
    }

    /// Render one user turn followed by the assistant's generation prompt.
    pub fn render_user(&self, text: &str, bos_token: &str, eos_token: &str) -> Result<String> {
        let template = self.env.get_template(NAME).map_err(|e| template_err(&e))?;
        template
            .render(context! {
                messages => [context! { role => "user", content => text }],
                add_generation_prompt => true,
                bos_token => bos_token,
                eos_token => eos_token,
            })
            .map_err(|e| template_err(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SmolLM2-135M-Instruct's template, as its GGUF carries it.
    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    #[test]
    fn renders_smollm2_chatml() {
        let t = ChatTemplate::new(SMOLLM2.to_owned()).expect("compiles");
        let out = t
            .render_user("hi", "<|im_start|>", "<|im_end|>")
            .expect("renders");
        assert_eq!(
            out,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn python_methods_bos_and_raise_exception_work() {
        let t = ChatTemplate::new(
            "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system') }}{% endif %}[{{ m['content'].strip().upper() }}]{% endfor %}".to_owned(),
        )
        .expect("compiles");
        assert_eq!(
            t.render_user("  hey ", "<s>", "</s>").expect("renders"),
            "<s>[HEY]"
        );
        let err = ChatTemplate::new("{{ raise_exception('bad') }}".to_owned())
            .expect("compiles")
            .render_user("x", "", "")
            .expect_err("raises");
        assert!(err.to_string().contains("bad"), "{err}");
        assert!(ChatTemplate::new("{% for %}".to_owned()).is_err());
    }
}
