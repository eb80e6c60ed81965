//! `thread-lsp index`: index a directory and print what was found.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use thread_engine::IndexReport;

use crate::cli::IndexArgs;
use crate::indexing::{Layers, Saved, index_and_save, leave_to_exit};

pub(crate) fn run(arguments: &IndexArgs) -> anyhow::Result<ExitCode> {
    let Saved { host, report, store_line } = index_and_save(&arguments.store, &arguments.walk, Layers::FilesOnly)?;
    report_problems(&report);
    if report.snapshot.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "note: no Rust, Python, TypeScript/JavaScript or Go files found in {} (skipped directories and .gitignore'd files do not count; --verbose lists what was skipped)",
            arguments.walk.dir.display()
        );
    }
    let mut text = render(&report, &arguments.walk.dir.display().to_string(), arguments.verbose);
    text.insert_str(text.find('\n').map_or(0, |end| end + 1), &store_line);
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing the summary")?;
    leave_to_exit((host, report));
    Ok(ExitCode::SUCCESS)
}

/// Warnings and skipped files go to the log on stderr, so piped output stays clean.
pub(crate) fn report_problems(report: &IndexReport) {
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }
    for skipped in &report.skipped {
        tracing::info!("skipped {}: {}", skipped.path, skipped.reason);
    }
}

fn render(report: &IndexReport, root: &str, verbose: bool) -> String {
    let graph = &report.graph;
    let seconds = report.elapsed.as_secs_f64();
    let files = report.snapshot.len();
    let mut out = String::new();
    let rate = if seconds > 0.0 { files as f64 / seconds } else { 0.0 };
    // A warm run takes milliseconds: say so, rather than "0.00 s".
    let took = if seconds < 0.1 { format!("{:.0} ms", seconds * 1000.0) } else { format!("{seconds:.2} s") };
    let _ = writeln!(out, "Indexed {root}: {files} files in {took} ({rate:.0} files/s)");
    let _ = writeln!(
        out,
        "  {:<12}{:>7.1}%   ({} unchanged by size and mtime, {} read, {} extracted)",
        "cache hits",
        100.0 * report.cache_hit_rate(),
        report.unchanged_by_stat,
        report.cache.hits + report.cache.misses,
        report.cache.misses
    );
    for (language, count) in report.files_per_language() {
        let _ = writeln!(out, "  {language:<12}{count:>8} files");
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for edge in &graph.edges {
        *kinds.entry(edge.kind.as_str()).or_insert(0) += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(kind, count)| format!("{kind} {count}")).collect();
    let _ = writeln!(out, "  {:<12}{:>8}   ({})", "edges", graph.edges.len(), kinds.join(", "));
    let external = graph.unresolved.iter().filter(|import| import.external).count();
    let broken = graph.unresolved.len() - external;
    let _ = writeln!(
        out,
        "  {:<12}{:>8}   ({external} external, {broken} should resolve in the workspace)",
        "unresolved",
        graph.unresolved.len()
    );
    let cycles = graph.cycles();
    let largest = cycles.iter().map(Vec::len).max().unwrap_or(0);
    let _ = writeln!(out, "  {:<12}{:>8}   (largest: {largest} files)", "cycles", cycles.len());
    let syntax_errors = report.files_with_syntax_errors();
    let _ = writeln!(
        out,
        "  {:<12}{:>8}   files with syntax errors (analysed anyway){}",
        "syntax",
        syntax_errors,
        if verbose || syntax_errors == 0 { "" } else { "; --verbose lists them" }
    );
    let _ = writeln!(
        out,
        "  {:<12}{:>8}   files{}",
        "skipped",
        report.skipped.len(),
        if verbose || report.skipped.is_empty() { "" } else { " (--verbose lists them)" }
    );
    if !verbose {
        return out;
    }
    for skipped in &report.skipped {
        let _ = writeln!(out, "skipped {}: {}", skipped.path, skipped.reason);
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for import in graph.unresolved.iter().filter(|import| !import.external) {
        let _ = writeln!(out, "unresolved {}:{}: {}", import.from, import.line + 1, import.specifier);
    }
    // Each cycle as an import path (each file imports the next); a cycle of many files by
    // its size and a shortest path through its first file.
    for cycle in &cycles {
        let Some(first) = cycle.first() else { continue };
        let path = graph.shortest_cycle_through(first, cycle);
        let shown = path.join(" → ");
        if path.len() == cycle.len() + 1 {
            let _ = writeln!(out, "cycle: {shown}");
        } else {
            let _ = writeln!(out, "cycle of {} files, through: {shown}", cycle.len());
        }
    }
    for (path, (line, column), count) in report.syntax_errors_by_file() {
        let plural = if count == 1 { "" } else { "s" };
        let _ = writeln!(out, "syntax {path}:{}:{}: {count} syntax error{plural}", line + 1, column + 1);
    }
    out
}
