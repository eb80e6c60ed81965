//! The analysis task: the single owner of the live graph.
//!
//! It runs on a thread of its own. Handlers wake it when documents change, and send it the
//! paths that changed on disk; it takes whatever has queued up since it last looked and the
//! documents as they are now (a burst of keystrokes becomes one change set, and only the
//! newest text of each file is read), applies them to the host,
//! publishes the new immutable snapshot for request handlers, re-publishes the
//! diagnostics that changed, and hands the change set to the store's write-behind.
//! There is no timer: an edit that finds the task idle is analysed at once.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use thread_engine::fingerprint::FingerprintBuilder;
use thread_engine::rules::CONFIG_FILE;
use thread_engine::store::{ChangeSet, StoredFile, StoredState, restore};
use thread_engine::{FileChange, Fingerprint, Host, IndexProgress, Snapshot};
use thread_storage::{SaveProgress, WriteBehind};
use tokio::sync::{mpsc, watch};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, MessageType, NumberOrString, Range};
use tower_lsp_server::{Bounded, NotCancellable, OngoingProgress};

use super::calls::CallView;
use super::config::Settings;
use super::diagnostics::{Cycles, DiagnosticContext, file_uri, project_file_diagnostics};
use super::documents::{Documents, Encoding, OpenDocuments};
use super::impact::{SavedFacts, impact};
use super::rules::LiveRules;
use crate::indexing::{Layers, restore_and_index};

/// What the handlers tell the analysis task.
#[derive(Debug)]
pub(crate) enum Work {
    /// Documents were opened, changed or closed: the task takes in the documents'
    /// current state as a whole (texts and generation together), whatever queued.
    DocumentsChanged,
    /// These files changed on disk behind the editor's back.
    DiskChanged(Vec<String>),
    /// An ignore file changed: the workspace is walked again, and the files that now enter
    /// the graph, or no longer do, are read or removed.
    Rescan,
    /// The client is shutting down: save what is pending, then answer.
    Flush(tokio::sync::oneshot::Sender<()>),
    /// The user changed Thread's settings.
    Reconfigure(Box<Settings>),
}

/// What request handlers read: the newest snapshot and how it came to be.
#[derive(Clone, Debug, Default)]
pub(crate) struct Published {
    /// The graph at the newest revision.
    pub(crate) snapshot: Snapshot,
    /// False until the workspace has been indexed.
    pub(crate) ready: bool,
    /// The documents' generation this snapshot has taken in (see `Documents`).
    pub(crate) generation: u64,
    /// The open documents whose texts the snapshot's facts came from, with the versions
    /// its diagnostics were published for: positions are converted in these texts.
    pub(crate) documents: Arc<OpenDocuments>,
    /// Added to the snapshot's revision in `thread/stats`: a new host (new settings, or
    /// one rebuilt after a panic) counts its revisions from 0, and the revisions a client
    /// sees must still only grow.
    pub(crate) revision_base: u64,
    /// The last analysis: files changed and affected, and how long it took.
    pub(crate) last_changed: usize,
    pub(crate) last_affected: usize,
    pub(crate) last_elapsed: Duration,
    /// Cache hits over lookups since the server started.
    pub(crate) cache_hits: u64,
    pub(crate) cache_lookups: u64,
    /// The store's description and its write-behind progress.
    pub(crate) store: String,
    pub(crate) saves: Option<SaveProgress>,
    /// Files whose newest text the graph lacks because analysing it failed; a later
    /// batch that takes them in clears them.
    pub(crate) behind: BTreeSet<String>,
    /// What is wrong with project files now, as `path: message`.
    pub(crate) project_problems: Vec<String>,
    /// Files the last analysis could not read or analyse, with why; they keep their
    /// previous state.
    pub(crate) failures: Vec<(String, String)>,
}

/// How to reach the analysis task.
pub(crate) struct Analysis {
    pub(crate) work: mpsc::UnboundedSender<Work>,
    pub(crate) published: watch::Receiver<Arc<Published>>,
}

/// Everything the task needs, moved onto its thread.
pub(crate) struct AnalysisSetup {
    pub(crate) client: Client,
    pub(crate) root: PathBuf,
    pub(crate) settings: Settings,
    pub(crate) documents: Arc<Documents>,
    pub(crate) encoding: Encoding,
    pub(crate) runtime: tokio::runtime::Handle,
    /// Whether the client shows `$/progress`.
    pub(crate) progress: bool,
    /// Whether the client asks for code lenses again when told they changed.
    pub(crate) lens_refresh: bool,
}

/// Starts the task; it indexes the workspace first, then serves edits until every
/// sender is gone.
pub(crate) fn start(setup: AnalysisSetup) -> std::io::Result<Analysis> {
    let (work, queue) = mpsc::unbounded_channel();
    let (publisher, published) = watch::channel(Arc::new(Published::default()));
    std::thread::Builder::new().name("thread-analysis".to_owned()).spawn(move || {
        let mut task = Task {
            setup,
            publisher,
            host: None,
            saver: None,
            published: HashMap::new(),
            cycles: Vec::new(),
            cycles_now: None,
            rules: LiveRules::default(),
            saved: SavedFacts::default(),
            stats: Published::default(),
            tried: Arc::default(),
            failure_shown: false,
            project_problems: Default::default(),
        };
        task.run(queue);
    })?;
    Ok(Analysis { work, published })
}

struct Task {
    setup: AnalysisSetup,
    publisher: watch::Sender<Arc<Published>>,
    host: Option<Host>,
    saver: Option<WriteBehind>,
    /// A fingerprint of the diagnostics last published per workspace-relative path,
    /// non-empty ones only: enough to tell whether they changed, without keeping every
    /// file's diagnostics (a large import cycle gives each of thousands of files a few,
    /// each listing the cycle's path).
    published: HashMap<String, Fingerprint>,
    /// The import cycles at the last publication: when they change, their files'
    /// diagnostics are computed again even if the files themselves were not touched.
    cycles: Vec<Vec<thread_engine::FileId>>,
    /// The facts of open files as saved, for the `impact` diagnostic.
    saved: SavedFacts,
    /// The current snapshot's cycles, while they are known to be current.
    cycles_now: Option<Arc<Cycles>>,
    /// `thread.toml`'s rules and their violations in the current snapshot.
    rules: LiveRules,
    stats: Published,
    /// The documents last taken in, whether or not their analysis succeeded (the graph
    /// holds `stats.documents`): the next batch takes what differs from these, so a text
    /// that failed is not tried again until it changes.
    tried: Arc<OpenDocuments>,
    /// Whether the user has been told that an analysis failed: once is enough.
    failure_shown: bool,
    /// What is wrong with project files, by path, as last published.
    project_problems: std::collections::BTreeMap<String, Vec<String>>,
}

impl Task {
    fn run(&mut self, mut queue: mpsc::UnboundedReceiver<Work>) {
        self.index_workspace();
        while let Some(first) = queue.blocking_recv() {
            if self.setup.settings.debounce > 0 {
                std::thread::sleep(Duration::from_millis(self.setup.settings.debounce));
            }
            let mut batch = vec![first];
            while let Ok(more) = queue.try_recv() {
                batch.push(more);
            }
            let (settings, batch): (Vec<Work>, Vec<Work>) =
                batch.into_iter().partition(|work| matches!(work, Work::Reconfigure(_)));
            if let Some(Work::Reconfigure(settings)) = settings.into_iter().last() {
                self.reconfigure(*settings);
            }
            let (flushes, batch): (Vec<Work>, Vec<Work>) =
                batch.into_iter().partition(|work| matches!(work, Work::Flush(_)));
            self.analyse_supervised(batch);
            if !flushes.is_empty() {
                self.flush();
                for work in flushes {
                    if let Work::Flush(reply) = work {
                        let _ = reply.send(());
                    }
                }
            }
        }
        // The folder was removed from the workspace (or the server is stopping): save
        // what is pending, and take back what this folder published.
        self.flush();
        let client = self.setup.client.clone();
        let published: Vec<String> = self.published.drain().map(|(path, _)| path).collect();
        let uris: Vec<_> = published.iter().filter_map(|path| file_uri(&self.setup.root, path)).collect();
        self.setup.runtime.block_on(async move {
            for uri in uris {
                client.publish_diagnostics(uri, Vec::new(), None).await;
            }
        });
    }

    /// Takes new settings: the workspace is indexed again when they change the store or
    /// the walk; diagnostics are published again when they change severities.
    fn reconfigure(&mut self, settings: Settings) {
        let old = std::mem::replace(&mut self.setup.settings, settings);
        if old.indexes_differently(&self.setup.settings) {
            tracing::info!("the store or the walk changed; indexing the workspace again");
            if let Some(saver) = self.saver.take() {
                // The old store is let go before the new one opens (the same SQLite
                // database must not find itself locked).
                if let Err(error) = self.setup.runtime.block_on(saver.close(SAVE_PATIENCE)) {
                    tracing::warn!("{error}; unsaved changes are indexed again on the next start");
                }
            }
            self.host = None;
            self.stats.ready = false;
            self.index_workspace();
        } else if old.severities != self.setup.settings.severities {
            self.publish_everything();
        }
    }

    /// Waits for the store to take what is pending, for a while.
    fn flush(&self) {
        let Some(saver) = &self.saver else { return };
        if let Err(error) = self.setup.runtime.block_on(saver.flush(SAVE_PATIENCE)) {
            tracing::warn!("{error}; unsaved changes are indexed again on the next start");
        }
    }

    fn index_workspace(&mut self) {
        let runtime = self.setup.runtime.clone();
        let token = tower_lsp_server::ls_types::ProgressToken::String("thread/indexing".to_owned());
        let progress = self.setup.progress.then(|| {
            runtime.block_on(async {
                let _ = self
                    .setup
                    .client
                    .send_request::<tower_lsp_server::ls_types::request::WorkDoneProgressCreate>(
                        tower_lsp_server::ls_types::WorkDoneProgressCreateParams { token: token.clone() },
                    )
                    .await;
                let begun = self.setup.client.progress(token.clone(), "Thread: indexing").with_percentage(0);
                Arc::new(begun.with_message("walking the workspace").begin().await)
            })
        });
        let started = Instant::now();
        let outcome = self.index_and_publish(progress.as_ref());
        let message = match outcome {
            Ok(()) => {
                format!("{} files in {:.1} s", self.stats.snapshot.len(), started.elapsed().as_secs_f64())
            }
            Err(message) => message,
        };
        // The end is sent whatever happened above: a progress left open stays on the
        // user's screen for good.
        if let Some(progress) = progress {
            match Arc::try_unwrap(progress) {
                Ok(progress) => runtime.block_on(progress.finish_with_message(message)),
                Err(_shared) => {
                    let client = self.setup.client.clone();
                    runtime.block_on(client.send_notification::<tower_lsp_server::ls_types::notification::Progress>(
                        tower_lsp_server::ls_types::ProgressParams {
                            token,
                            value: tower_lsp_server::ls_types::ProgressParamsValue::WorkDone(
                                tower_lsp_server::ls_types::WorkDoneProgress::End(
                                    tower_lsp_server::ls_types::WorkDoneProgressEnd { message: Some(message) },
                                ),
                            ),
                        },
                    ));
                }
            }
        }
    }

    /// Indexes the folder (from the store), then takes in the open documents and publishes
    /// everything; what went wrong, when the folder cannot be analysed at all.
    fn index_and_publish(
        &mut self,
        progress: Option<&Arc<OngoingProgress<Bounded, NotCancellable>>>,
    ) -> Result<(), String> {
        let runtime = self.setup.runtime.clone();
        let (store_args, problem) = self.setup.settings.store_args();
        if let Some(problem) = problem {
            self.show(MessageType::WARNING, &problem);
        }
        let options = self.setup.settings.load_options();
        let counts = Arc::new(IndexProgress::default());
        let (stop_reports, stopped) = tokio::sync::oneshot::channel::<()>();
        let reporter =
            progress.map(|progress| runtime.spawn(report_reading(Arc::clone(progress), Arc::clone(&counts), stopped)));
        let indexed =
            runtime.block_on(restore_and_index(&store_args, &self.setup.root, &options, &counts, Layers::Symbols));
        let _ = stop_reports.send(());
        // The reporter holds a share of the progress: wait until it lets go, so that the
        // end can be sent through the progress itself.
        if let Some(reporter) = reporter {
            let _ = runtime.block_on(reporter);
        }
        if let Some(progress) = progress {
            runtime.block_on(progress.report_with_message("publishing diagnostics", READ_DONE_PERCENT));
        }
        match indexed {
            Ok(indexed) => {
                let changes = indexed.changes_to_save();
                self.stats.store = indexed.opened.description.clone();
                self.stats.cache_hits += indexed.report.cache.hits;
                self.stats.cache_lookups += indexed.report.cache.hits + indexed.report.cache.misses;
                if indexed.opened.writable {
                    let _entered = runtime.enter();
                    let saver = WriteBehind::spawn(Arc::from(indexed.opened.store));
                    saver.save(changes);
                    self.saver = Some(saver);
                }
                self.host = Some(indexed.host);
            }
            Err(error) => {
                self.show(
                    MessageType::ERROR,
                    &format!("Thread could not index {}: {error:#}", self.setup.root.display()),
                );
                match thread_engine::RecocoFlow::shared() {
                    Ok(flow) => self.host = Some(Host::new(flow)),
                    Err(error) => {
                        let message = format!("Thread cannot analyse anything: {error}");
                        self.show(MessageType::ERROR, &message);
                        return Err(message);
                    }
                }
            }
        }
        // A new host counts revisions afresh and numbers files afresh: its snapshot
        // replaces the old outright, and nothing kept by file id survives it.
        if let Some(host) = &self.host {
            self.stats.revision_base += self.stats.snapshot.revision() + 1;
            self.stats.snapshot = host.snapshot();
            self.cycles_now = None;
            self.cycles.clear();
            self.rules.forget_files();
        }
        // The new host holds the disk's texts: every open document (opened while the
        // workspace was being indexed, or before settings changed) is taken in again.
        self.stats.documents = Arc::default();
        self.tried = Arc::default();
        self.rules.load(self.rules_text());
        self.rules.check(&self.stats.snapshot);
        self.stats.ready = true;
        if let Some(host) = &self.host {
            take_project_problems(host, &mut self.project_problems, &mut self.stats);
        }
        let documents = self.take_documents();
        self.analyse(Vec::new(), &documents);
        self.publish_everything();
        Ok(())
    }

    /// [`Task::analyse`], surviving a panic in it: the graph from before the batch is put
    /// back (rebuilt from the last published snapshot, without parsing), the batch's files
    /// are marked behind in `thread/stats`, and the user is told once.
    fn analyse_supervised(&mut self, batch: Vec<Work>) {
        let documents = self.take_documents();
        let paths: BTreeSet<String> = batch
            .iter()
            .flat_map(|work| match work {
                Work::DiskChanged(paths) => paths.as_slice(),
                Work::DocumentsChanged | Work::Rescan | Work::Flush(_) | Work::Reconfigure(_) => &[],
            })
            .chain(documents.changed.iter().chain(&documents.closed))
            .cloned()
            .collect();
        let before = self.stats.snapshot.clone();
        let project_files = self.host.as_ref().map(|host| host.project_files().clone()).unwrap_or_default();
        let generation = documents.now.generation();
        let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.analyse(batch, &documents)))
        else {
            return;
        };
        let what = panic
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned());
        let files = paths.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        tracing::error!("analysing {files} failed ({what}); the graph from before those changes is kept");
        self.restore_from(&before, project_files);
        self.stats.behind.extend(paths);
        // The batch is taken in, by failing: requests waiting for it are answered.
        self.stats.generation = generation;
        let _ = self.publisher.send(Arc::new(self.stats.clone()));
        if !self.failure_shown {
            self.failure_shown = true;
            self.show(
                MessageType::ERROR,
                &format!(
                    "Thread hit an internal error while analysing {files}: {what}. It keeps the graph from before those changes and goes on; thread/stats lists the files it is behind on, and the log has the details."
                ),
            );
        }
    }

    /// Replaces the host with one holding exactly `snapshot`'s files and facts, and
    /// `project_files`: nothing is read or parsed.
    fn restore_from(&mut self, snapshot: &Snapshot, project_files: std::collections::BTreeMap<String, String>) {
        let flow = match thread_engine::RecocoFlow::shared() {
            Ok(flow) => flow,
            Err(error) => {
                tracing::error!("the graph cannot be rebuilt: {error}");
                return;
            }
        };
        let mut host = Host::new(flow);
        let files = snapshot.files().map(|file| StoredFile::of(file, snapshot)).collect();
        restore(&mut host, StoredState { files, project_files: project_files.into_iter().collect() });
        self.stats.revision_base += self.stats.snapshot.revision() + 1;
        self.stats.snapshot = host.snapshot();
        self.host = Some(host);
        // The new host numbers files afresh: what was kept by id is let go, and every
        // file's diagnostics are computed again against the graph put back.
        self.cycles_now = None;
        self.cycles.clear();
        self.rules.forget_files();
        self.rules.check(&self.stats.snapshot);
        self.publish_everything();
    }

    /// The open documents now, and how they differ from those last taken in.
    fn take_documents(&mut self) -> DocumentsNow {
        let now = self.setup.documents.current();
        let (changed, closed) = self.tried.differences(&now);
        self.tried = Arc::clone(&now);
        DocumentsNow { now, changed, closed }
    }

    /// Applies one batch of work: the texts of documents opened or changed, the disk's
    /// texts of documents closed and of files changed behind the editor's back.
    fn analyse(&mut self, batch: Vec<Work>, documents: &DocumentsNow) {
        let admission_changed =
            if batch.iter().any(|work| matches!(work, Work::Rescan)) { self.admission_changes() } else { Vec::new() };
        let Some(host) = self.host.as_mut() else { return };
        let generation = documents.now.generation();
        let mut from_disk: BTreeSet<String> = documents.closed.clone();
        from_disk.extend(admission_changed);
        for work in batch {
            if let Work::DiskChanged(paths) = work {
                from_disk.extend(paths);
            }
        }
        for path in &documents.closed {
            self.saved.forget(path);
        }
        let rules_touched = documents.changed.iter().chain(&from_disk).any(|path| LiveRules::is_config(path));
        let mut changes = Vec::new();
        let mut inject_fault = false;
        let mut stall = None;
        for path in &documents.changed {
            if let Some(document) = documents.now.get(path) {
                inject_fault |= super::faults::panic_armed_for(&document.text);
                stall = stall.or(super::faults::stall_for(&document.text));
                changes.push(FileChange::write(path.clone(), document.text.as_bytes().to_vec()));
            }
        }
        // Open documents get diagnostics for their new version even when nothing changed.
        let edited = documents.changed.clone();
        // The editor's unsaved text wins over the disk.
        from_disk.retain(|path| documents.now.get(path).is_none());
        let load_options = self.setup.settings.load_options();
        changes.extend(from_disk.iter().map(|path| disk_change(&self.setup.root, path, &load_options)));
        if changes.is_empty() && self.stats.ready && self.stats.snapshot.revision() == host.snapshot().revision() {
            self.stats.generation = generation;
            self.stats.documents = Arc::clone(&documents.now);
            let _ = self.publisher.send(Arc::new(self.stats.clone()));
            return;
        }
        let taken_in: Vec<String> = changes.iter().map(|change| change.path().to_owned()).collect();
        if let Some(pause) = stall {
            std::thread::sleep(pause);
        }
        let report = host.apply(changes);
        if inject_fault {
            panic!("a fault injected by THREAD_TEST_PANIC_ON");
        }
        self.stats.behind.retain(|path| !taken_in.contains(path));
        for (path, why) in &report.failures {
            tracing::warn!("{path} could not be analysed ({why}); it keeps its previous state");
        }
        // The graph holds the documents taken in, except those whose analysis failed: they
        // keep the text the graph has for them, and are behind.
        let failed: BTreeSet<String> = report.failures.iter().map(|(path, _)| path.clone()).collect();
        self.stats.documents = Arc::new(documents.now.keeping(&self.stats.documents, &failed));
        self.stats.behind.extend(failed);
        self.stats.failures = report.failures.clone();
        let problems_changed = take_project_problems(host, &mut self.project_problems, &mut self.stats);
        let snapshot = host.snapshot();
        // Cycles change only when some file's imports lead elsewhere, or files come or go.
        if report.edges_changed || !self.stats.ready || self.stats.snapshot.len() != snapshot.len() {
            self.cycles_now = None;
        }
        self.stats.snapshot = snapshot.clone();
        self.stats.last_changed = report.changed.len();
        self.stats.last_affected = report.affected.len();
        self.stats.last_elapsed = report.elapsed;
        self.stats.generation = generation;
        self.stats.cache_hits += report.cache.hits;
        self.stats.cache_lookups += report.cache.hits + report.cache.misses;
        let anything_changed = !report.changed.is_empty() || !report.affected.is_empty();
        if let Some(saver) = self.saver.as_ref().filter(|_| anything_changed) {
            saver.save(ChangeSet::from_report(&snapshot, &report, host));
        }
        if let Some(saver) = &self.saver {
            // Files of change sets the store refused are saved again, once, from the
            // graph as it is now: the store catches up instead of staying stale.
            let refused = saver.take_rebuild();
            if !refused.is_empty() {
                saver.save(ChangeSet::for_paths(&snapshot, &refused, host));
            }
            self.stats.saves = Some(saver.progress());
        }
        let _ = self.publisher.send(Arc::new(self.stats.clone()));
        let mut touched: BTreeSet<String> =
            report.changed.iter().chain(&report.affected).cloned().chain(edited).collect();
        touched.extend(problems_changed);
        // Rules read edges only: they are checked again when an edge or a file came or
        // went (as the cycles are), or the rules changed; after the edited files'
        // diagnostics are out, so that typing never waits for a check of the workspace.
        let check_rules = rules_touched || self.cycles_now.is_none();
        if rules_touched {
            self.rules.load(self.rules_text());
            touched.insert(CONFIG_FILE.to_owned());
        }
        self.publish_diagnostics(&touched);
        if check_rules {
            let moved = self.rules.check(&snapshot);
            if !moved.is_empty() {
                self.publish_diagnostics(&moved);
            }
        }
        if anything_changed && self.setup.lens_refresh {
            // A file's dependents counts change with its dependents' text; the client
            // answers in its own time, so the analysis does not wait for it.
            let client = self.setup.client.clone();
            self.setup.runtime.spawn(async move { client.code_lens_refresh().await });
        }
    }

    /// The files the walk admits now that the graph lacks, and those the graph holds that
    /// it no longer admits: what an ignore file's change brings in or leaves out.
    fn admission_changes(&self) -> Vec<String> {
        let Some(host) = &self.host else { return Vec::new() };
        let discovery = match thread_engine::loader::discover(&self.setup.root, &self.setup.settings.load_options()) {
            Ok(discovery) => discovery,
            Err(error) => {
                tracing::warn!("{error}; the files ignore files admit are left as they were");
                return Vec::new();
            }
        };
        let admitted: BTreeSet<String> = discovery
            .sources
            .into_iter()
            .map(|source| source.path)
            .chain(discovery.project_files.into_iter().map(|project| project.path))
            .collect();
        let held: BTreeSet<String> = host
            .snapshot()
            .files()
            .map(|file| file.path.to_string())
            .chain(host.project_files().keys().cloned())
            .collect();
        admitted.symmetric_difference(&held).cloned().collect()
    }

    /// Diagnostics for every file, once the workspace is indexed; files that had some
    /// and are no longer in the graph are cleared.
    fn publish_everything(&mut self) {
        let files = self.stats.snapshot.files().map(|file| file.path.to_string());
        let all: BTreeSet<String> = files
            .chain(self.published.keys().cloned())
            .chain(self.project_problems.keys().cloned())
            .chain([CONFIG_FILE.to_owned()])
            .collect();
        self.publish_diagnostics(&all);
    }

    /// Re-computes the diagnostics of `touched` (and, when the import cycles changed, of
    /// the files in the old and new cycles), and publishes those that differ (always
    /// those of open documents, with their version). A file's diagnostics depend only
    /// on itself, what it imports and the cycles, so nothing else can have changed.
    fn publish_diagnostics(&mut self, touched: &BTreeSet<String>) {
        let snapshot = self.stats.snapshot.clone();
        let cycles = Arc::clone(self.cycles_now.get_or_insert_with(|| Arc::new(Cycles::of(&snapshot))));
        let context =
            DiagnosticContext::new(&snapshot, cycles, &self.setup.root, &self.setup.settings, self.setup.encoding);
        let mut candidates: BTreeSet<String> = touched.clone();
        if context.cycles() != self.cycles.as_slice() {
            let members = self.cycles.iter().chain(context.cycles()).flatten();
            candidates
                .extend(members.filter(|id| snapshot.file(**id).is_some()).map(|id| snapshot.path(*id).to_owned()));
            self.cycles = context.cycles().to_vec();
        }
        let documents = Arc::clone(&self.stats.documents);
        let view = CallView::new(&snapshot, &self.setup.root, &documents, self.setup.encoding);
        let impact_severity = self.setup.settings.severity("impact", DiagnosticSeverity::INFORMATION);
        let rule_severity = self.setup.settings.severity("rule-violation", DiagnosticSeverity::ERROR);
        // The files being edited first: their diagnostics are sent before the
        // dependents' are computed, so typing never waits for the rest of the workspace.
        let (open, unopened): (Vec<String>, Vec<String>) =
            candidates.into_iter().partition(|path| documents.get(path).is_some());
        for paths in [open, unopened] {
            let mut notifications = Vec::new();
            for path in paths {
                let open = documents.get(&path);
                let mut diagnostics = match snapshot.file_at(&path) {
                    _ if LiveRules::is_config(&path) => self.rules.config_diagnostics(),
                    // An unopened file with nothing to report is not read from disk.
                    Some(file) if open.is_none() && !context.may_report(file) && !self.rules.reports_on(file) => {
                        Vec::new()
                    }
                    Some(file) => {
                        let text = view.text(&path);
                        let mut diagnostics = context.for_file(file, &text);
                        if let Some(severity) = rule_severity {
                            diagnostics.extend(self.rules.diagnostics_for(
                                &snapshot,
                                &self.setup.root,
                                file,
                                &text,
                                self.setup.encoding,
                                severity,
                            ));
                        }
                        if let (Some(_), Some(severity)) = (&open, impact_severity)
                            && let Some(saved) = self.saved.get(&self.setup.root, file)
                        {
                            diagnostics.extend(impact(&view, file, &saved, &text, severity));
                        }
                        diagnostics
                    }
                    None => Vec::new(),
                };
                if let Some(messages) = self.project_problems.get(&path) {
                    diagnostics.extend(project_file_diagnostics(messages));
                }
                let fingerprint = (!diagnostics.is_empty()).then(|| fingerprint_of(&diagnostics));
                let unchanged = self.published.get(&path).copied() == fingerprint;
                if unchanged && !(open.is_some() && touched.contains(&path)) {
                    continue;
                }
                match fingerprint {
                    Some(fingerprint) => self.published.insert(path.clone(), fingerprint),
                    None => self.published.remove(&path),
                };
                if let Some(uri) = file_uri(&self.setup.root, &path) {
                    notifications.push((uri, diagnostics, open.map(|document| document.version)));
                }
            }
            let client = self.setup.client.clone();
            self.setup.runtime.block_on(async move {
                for (uri, diagnostics, version) in notifications {
                    client.publish_diagnostics(uri, diagnostics, version).await;
                }
            });
        }
    }

    /// `thread.toml`'s text: the editor's, when it is open, else the disk's.
    /// `None` when there is none; an error when it exists and cannot be read (not UTF-8,
    /// no permission), which is shown on it, not taken as "no rules".
    fn rules_text(&self) -> Result<Option<String>, String> {
        match self.stats.documents.get(CONFIG_FILE) {
            Some(document) => Ok(Some(document.text.to_string())),
            None => match std::fs::read_to_string(self.setup.root.join(CONFIG_FILE)) {
                Ok(text) => Ok(Some(text)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(format!("{CONFIG_FILE} cannot be read: {error}")),
            },
        }
    }

    fn show(&self, kind: MessageType, message: &str) {
        tracing::warn!("{message}");
        let client = self.setup.client.clone();
        let message = message.to_owned();
        self.setup.runtime.block_on(async move { client.show_message(kind, message).await });
    }
}

/// The open documents at the start of a batch, and how they differ from those the graph
/// holds: one consistent state, whatever edits queued meanwhile.
struct DocumentsNow {
    now: Arc<OpenDocuments>,
    /// Opened, or with a new text or version.
    changed: BTreeSet<String>,
    closed: BTreeSet<String>,
}

/// Takes `host`'s project-file problems into `known` (by path) and `stats`; logs the new
/// ones, and returns the files whose problems changed, to publish again.
fn take_project_problems(
    host: &Host,
    known: &mut std::collections::BTreeMap<String, Vec<String>>,
    stats: &mut Published,
) -> BTreeSet<String> {
    let mut now: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for problem in host.project_problems() {
        now.entry(problem.path.clone()).or_default().push(problem.message.clone());
    }
    let mut changed = BTreeSet::new();
    for (path, messages) in &now {
        if known.get(path) != Some(messages) {
            for message in messages {
                tracing::warn!("{path}: {message}");
            }
            changed.insert(path.clone());
        }
    }
    changed.extend(known.keys().filter(|path| !now.contains_key(*path)).cloned());
    stats.project_problems = host.project_problems().iter().map(ToString::to_string).collect();
    *known = now;
    changed
}

/// A fingerprint of a file's diagnostics: every field, streamed into Blake3 without
/// building their JSON (a cycle's diagnostics, paths and all, for hundreds of files).
fn fingerprint_of(diagnostics: &[Diagnostic]) -> Fingerprint {
    let mut builder = FingerprintBuilder::default();
    let range = |builder: &mut FingerprintBuilder, range: &Range| {
        for value in [range.start.line, range.start.character, range.end.line, range.end.character] {
            builder.u64(u64::from(value));
        }
    };
    for diagnostic in diagnostics {
        let Diagnostic {
            range: at,
            severity,
            code,
            code_description,
            source,
            message,
            related_information,
            tags,
            data,
        } = diagnostic;
        range(&mut builder, at);
        let severities = [
            DiagnosticSeverity::ERROR,
            DiagnosticSeverity::WARNING,
            DiagnosticSeverity::INFORMATION,
            DiagnosticSeverity::HINT,
        ];
        builder.u64(
            severity
                .and_then(|severity| severities.iter().position(|known| *known == severity))
                .map_or(0, |index| index as u64 + 1),
        );
        match code {
            Some(NumberOrString::Number(number)) => builder.u64(1).u64(*number as u64),
            Some(NumberOrString::String(text)) => builder.u64(2).str(text),
            None => builder.u64(0),
        };
        builder.str(source.as_deref().unwrap_or("")).str(message);
        let related = related_information.as_deref().unwrap_or_default();
        builder.u64(related.len() as u64);
        for item in related {
            builder.str(item.location.uri.as_str()).str(&item.message);
            range(&mut builder, &item.location.range);
        }
        // Fields Thread never sets, counted all the same (without a string per diagnostic
        // on the edit path while they stay unset).
        if code_description.is_some() || tags.is_some() || data.is_some() {
            builder.str(&format!("{code_description:?}{tags:?}{data:?}"));
        }
    }
    builder.finish()
}

/// How long saving may take when the store is flushed or let go.
const SAVE_PATIENCE: Duration = Duration::from_secs(10);

/// Where reading and extracting the files ends on the progress bar; resolving and the
/// first diagnostics take the rest.
const READ_DONE_PERCENT: u32 = 85;

/// Reports how many files the index has read, every few hundred milliseconds and only
/// when the count moved, until `stop`.
async fn report_reading(
    progress: Arc<OngoingProgress<Bounded, NotCancellable>>,
    counts: Arc<IndexProgress>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut every = tokio::time::interval(Duration::from_millis(250));
    let mut last = (0, 0);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = every.tick() => {}
        }
        let (read, total) = counts.files();
        if total == 0 || (read, total) == last {
            continue;
        }
        last = (read, total);
        let percent = u32::try_from(read * READ_DONE_PERCENT as usize / total).unwrap_or(READ_DONE_PERCENT);
        progress.report_with_message(format!("{read}/{total} files read"), percent.min(READ_DONE_PERCENT)).await;
    }
}

/// The change that makes the host see the disk's `path`: its text, or its removal when
/// it is gone, unreadable, or not admitted to the graph (`thread_engine::admit`).
fn disk_change(root: &std::path::Path, path: &str, options: &thread_engine::LoadOptions) -> FileChange {
    if !thread_engine::admit(root, path, options).enters_graph() {
        return FileChange::remove(path);
    }
    match std::fs::read(root.join(path)) {
        Ok(bytes) => FileChange::write(path, bytes),
        Err(_) => FileChange::remove(path),
    }
}
