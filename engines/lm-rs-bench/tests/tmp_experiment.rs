use std::path::PathBuf;
use lm_rs_bench::LmRs;
#[test]
fn experiment() {
    let p = PathBuf::from("/work/main/models/smollm2-135m-instruct-q4_1.gguf");
    let fx: serde_json::Value = serde_json::from_str(include_str!("fixtures/llamacpp-greedy.json")).unwrap();
    let ids: Vec<u32> = fx["cases"][0]["prompt_ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
    let mut e = LmRs::open(&p, Some(2)).unwrap();
    let top = [2068u32, 504, 1348, 21070, 33];
    let lp = |l: &[f32]| { let m = l.iter().copied().fold(f32::MIN, f32::max); let s: f64 = l.iter().map(|&x| ((x-m) as f64).exp()).sum(); top.iter().map(|&i| l[i as usize] - m - s.ln() as f32).collect::<Vec<_>>() };
    let a = e.prompt_logits(&ids).unwrap();
    println!("batched {:?}", lp(&a));
    let b = e.prompt_logits_one_by_one(&ids).unwrap();
    println!("one-by-one {:?}", lp(&b));
    println!("llama.cpp [-1.3853, -2.2308, -2.6207, -2.6674, -2.7597]");
}
