//! Chat prompts of the default model (SmolLM2-135M-Instruct's template, token ids as its
//! tokenizer gives them) and llama.cpp's greedy continuation of one.

/// The default model's end-of-sequence id (`<|im_end|>`).
pub const EOS: u32 = 2;

/// "What is the capital of France?"
pub const FRANCE: [u32; 37] = [
    1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407,
    19712, 8182, 2, 198, 1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1, 520, 9531,
    198,
];

/// llama.cpp's greedy continuation of [`FRANCE`] on the `Q4_1` file (xllamacpp's server,
/// `/completion` with temperature 0).
pub const FRANCE_LLAMA_CPP: [u32; 32] = [
    60, 23, 39614, 1141, 552, 28, 2618, 2828, 313, 7712, 769, 28, 2618, 2849, 1558, 28, 2618, 2849,
    1558, 26261, 11708, 46767, 28, 2618, 2849, 1558, 26261, 11708, 46767, 28, 2618, 2849,
];

/// transformers' greedy continuation of [`FRANCE`] with the `Q4_1` file dequantised to f32
/// (pytorch-baseline on the CPU, f32 throughout): "The capital of France is Paris.", then
/// [`EOS`]. Engines computing in f32 from the same weights give it too; llama.cpp's dot
/// products with `Q8` activation blocks tip the first token the other way
/// ([`FRANCE_LLAMA_CPP`]).
pub const FRANCE_F32: [u32; 7] = [504, 3575, 282, 4649, 314, 7042, 30];

/// "Reply with one word: what colour is the sky?", which the model ends with [`EOS`].
pub const SKY: [u32; 42] = [
    1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407,
    19712, 8182, 2, 198, 1, 4093, 198, 9302, 318, 351, 582, 2229, 42, 732, 7302, 314, 260, 6376,
    47, 2, 198, 1, 520, 9531, 198,
];
