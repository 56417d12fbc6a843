//! The race in the terminal: one pane per engine with its text as the replay reveals it, TTFT,
//! tokens so far, tok/s and its place; q, Esc or Ctrl-C quits and restores the terminal.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::mode::Decision;
use super::{BANNER, Event, Lane, LaneState, apply, finish_order, replay_end_ns};

/// How often the view redraws.
const FRAME: Duration = Duration::from_millis(33);

/// How the view ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every engine was done before the key press (the replay may not have ended).
    Finished,
    /// Quit while an engine was still running.
    Quit,
}

/// Show the race until q, Esc or Ctrl-C, applying `events` to `lanes` as they arrive; the
/// replay starts once every engine is done.
pub fn show(
    lanes: &mut [Lane],
    decision: &Decision,
    prompt: &str,
    events: &Receiver<Event>,
    decode: &dyn Fn(&[u32]) -> Option<String>,
) -> std::io::Result<Ended> {
    let mut terminal = ratatui::try_init()?;
    let result = (|| {
        let mut replay_start: Option<Instant> = None;
        loop {
            while let Ok(e) = events.try_recv() {
                apply(lanes, e, decode);
            }
            if replay_start.is_none() && lanes.iter().all(Lane::is_done) {
                replay_start = Some(Instant::now());
            }
            let t_ns = replay_start.map(|s| s.elapsed().as_nanos() as u64);
            terminal.draw(|f| draw(f, lanes, decision, prompt, t_ns))?;
            if event::poll(FRAME)?
                && let TermEvent::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
            {
                let ctrl_c =
                    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
                if matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c {
                    let done = lanes.iter().all(Lane::is_done);
                    return Ok(if done { Ended::Finished } else { Ended::Quit });
                }
            }
        }
    })();
    ratatui::restore();
    result
}

fn draw(f: &mut Frame, lanes: &[Lane], decision: &Decision, prompt: &str, t_ns: Option<u64>) {
    let [header, panes] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(f.area());
    let status = match t_ns {
        None => {
            let done = lanes.iter().filter(|l| l.is_done()).count();
            let running: Vec<&str> = lanes
                .iter()
                .filter(|l| l.state == LaneState::Running)
                .map(|l| l.label.as_str())
                .collect();
            format!(
                "running {} ({done} of {} done); the replay starts when all are done",
                running.join(", "),
                lanes.len()
            )
        }
        Some(t) if t < replay_end_ns(lanes) => {
            format!("replay at true speed: {:.2} s", t as f64 / 1e9)
        }
        Some(_) => match finish_order(lanes).first() {
            Some(&w) => format!("finished: winner {}; q quits", lanes[w].label),
            None => "finished: no engine finished; q quits".to_owned(),
        },
    };
    let head = Paragraph::new(vec![
        Line::from(Span::styled(
            format!("{BANNER} (one request per engine, replayed from the worker's timestamps)"),
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        )),
        Line::from(decision.line()),
        Line::from(format!(
            "prompt: {}",
            super::summary::one_line(prompt, usize::from(header.width).saturating_sub(10))
        )),
        Line::from(status),
    ])
    .wrap(Wrap { trim: true });
    f.render_widget(head, header);

    let order = finish_order(lanes);
    let columns = Layout::horizontal(vec![
        Constraint::Ratio(1, lanes.len().max(1) as u32);
        lanes.len()
    ])
    .split(panes);
    for (i, (lane, area)) in lanes.iter().zip(columns.iter()).enumerate() {
        let (title, lines) = pane(lane, t_ns, order.iter().position(|&o| o == i));
        let block = Block::default().borders(Borders::ALL).title(title);
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            *area,
        );
    }
}

/// A pane's title and lines `t_ns` into the replay (`None`: not started); `place` from 0.
fn pane(
    lane: &Lane,
    t_ns: Option<u64>,
    place: Option<usize>,
) -> (Line<'static>, Vec<Line<'static>>) {
    let mut title = vec![Span::styled(
        format!(" {} ", lane.label),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let lines = match (&lane.state, t_ns) {
        (LaneState::Waiting, _) => vec![Line::from("waiting")],
        (LaneState::Running, _) => vec![Line::from("loading and generating…")],
        (LaneState::Failed(message), _) => {
            title.push(Span::styled("failed ", Style::default().fg(Color::Red)));
            vec![Line::from(format!("failed: {message}"))]
        }
        (LaneState::Finished(_), None) => vec![Line::from("done; waiting for the others")],
        (LaneState::Finished(t), Some(t_ns)) => {
            let s = t.at(t_ns);
            if s.finished {
                let marker = match place {
                    Some(0) => Span::styled(
                        "#1 winner ",
                        Style::default()
                            .fg(Color::Green)
                            .add_modifier(Modifier::BOLD),
                    ),
                    Some(p) => Span::raw(format!("#{} ", p + 1)),
                    None => Span::raw(""),
                };
                title.push(marker);
            }
            let ttft = s
                .ttft_ns
                .map_or_else(|| "-".to_owned(), |n| format!("{:.1} ms", n as f64 / 1e6));
            let rate = s
                .tok_s
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}"));
            let mut lines = vec![
                Line::from(format!("TTFT {ttft}   tokens {}   tok/s {rate}", s.tokens)),
                Line::from(""),
            ];
            lines.extend(s.text.lines().map(|l| Line::from(l.to_owned())));
            lines
        }
    };
    (Line::from(title), lines)
}
