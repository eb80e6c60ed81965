//! `thread-lsp serve`: the language server on stdio.
//!
//! Ordering is safe by construction (see ARCHITECTURE.md):
//!
//! - notification handlers change the document store before any `.await` and then wake
//!   the analysis task, which takes the documents whole;
//! - the analysis task alone owns the graph;
//! - request handlers read an immutable snapshot it published, once it holds every edit
//!   sent before them (else they answer `ContentModified`), with the texts it analysed.
//!
//! Each workspace folder is a [`Folder`] with its own documents, analysis task, graph
//! and store; a URI belongs to the innermost folder holding it.

mod analysis;
mod calls;
mod config;
mod diagnostics;
mod documents;
mod faults;
mod framing;
mod impact;
mod lens;
mod rules;
mod symbols;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    CallHierarchyIncomingCall, CallHierarchyIncomingCallsParams, CallHierarchyItem, CallHierarchyOutgoingCall,
    CallHierarchyOutgoingCallsParams, CallHierarchyPrepareParams, CallHierarchyServerCapability, CodeLens,
    CodeLensOptions, CodeLensParams, ConfigurationItem, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentSymbolParams, DocumentSymbolResponse,
    ExecuteCommandOptions, ExecuteCommandParams, FileSystemWatcher, GlobPattern, GotoDefinitionParams,
    GotoDefinitionResponse, InitializeParams, InitializeResult, InitializedParams, Location, MessageType, OneOf,
    PositionEncodingKind, ReferenceParams, Registration, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri, WorkspaceSymbolParams,
    WorkspaceSymbolResponse,
};
use tower_lsp_server::ls_types::{
    DidChangeWorkspaceFoldersParams, WorkspaceFolder, WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use analysis::{Analysis, AnalysisSetup, Published, Work};
use config::Settings;
use documents::{Documents, Encoding};
use rules::LiveRules;

/// The files whose changes on disk matter: sources of the four languages and the
/// project files that steer resolution.
const WATCHED: &[&str] = &[
    "**/*.{rs,py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs,go}",
    "**/{Cargo.toml,pyproject.toml,setup.cfg,setup.py,package.json,go.mod,go.work}",
    "**/{tsconfig,jsconfig}*.json",
    // The architecture rules (only the root's counts).
    "**/thread.toml",
    // Ignore files: they decide which files enter the graph.
    "**/{.gitignore,.ignore}",
    "**/.git/info/exclude",
];

/// Serves LSP on stdin and stdout until the client exits.
pub(crate) fn run() -> anyhow::Result<std::process::ExitCode> {
    limit_malloc_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let handle = tokio::runtime::Handle::current();
        let (service, socket) = LspService::build(|client| ThreadServer::new(client, handle))
            .custom_method("thread/stats", ThreadServer::stats)
            .custom_method("thread/dependencyGraph", ThreadServer::dependency_graph)
            .custom_method("thread/affectedFiles", ThreadServer::affected_files)
            .custom_method(framing::MALFORMED, ThreadServer::malformed)
            .finish();
        Server::new(framing::checked(tokio::io::stdin()), tokio::io::stdout(), socket).serve(service).await;
    });
    // The reader of stdin may still be blocked in a read that never returns; the store
    // was flushed at `shutdown`, so nothing is left to wait for.
    runtime.shutdown_background();
    Ok(std::process::ExitCode::SUCCESS)
}

/// glibc gives every thread that allocates its own heap arena, up to eight per core, and
/// memory freed in one arena serves no other. The indexing's worker threads would leave
/// a long-running server holding each one's high-water mark; two arenas keep the
/// resident set close to what is in use, at no measurable cost to latency.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; it is called before any thread
    // of this server starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// What `initialize` settled about the client.
struct Session {
    encoding: Encoding,
    progress: bool,
    lens_refresh: bool,
    /// Whether the client answers `workspace/configuration`.
    pull_configuration: bool,
    /// Whether the client takes file watchers registered at run time: asking one that
    /// does not makes some clients (Neovim) complain at every start.
    watch_registration: bool,
}

/// One workspace folder: its open documents and the analysis task that owns its graph.
struct Folder {
    root: PathBuf,
    documents: Arc<Documents>,
    /// Started at `initialized`, or when the folder is added; unset if it failed.
    analysis: OnceLock<Analysis>,
}

impl Folder {
    /// A folder at `root`, not yet analysed.
    fn new(root: PathBuf) -> Arc<Folder> {
        Arc::new(Folder { root, documents: Arc::default(), analysis: OnceLock::new() })
    }

    fn send(&self, work: Work) {
        if let Some(analysis) = self.analysis.get() {
            let _ = analysis.work.send(work);
        }
    }

    /// The first published state `accept` takes, waiting at most
    /// `faults::request_patience` (5 s); `None` when the folder is not being analysed.
    async fn wait_for(&self, accept: impl FnMut(&Arc<Published>) -> bool) -> Option<Waited> {
        let analysis = self.analysis.get()?;
        let mut receiver = analysis.published.clone();
        Some(match tokio::time::timeout(faults::request_patience(), receiver.wait_for(accept)).await {
            Ok(Ok(published)) => Waited::Taken(published.clone()),
            Ok(Err(_)) => Waited::Stopped,
            Err(_) => Waited::TimedOut,
        })
    }

    /// The published state that answers a request: the first that is indexed and has
    /// taken in every edit sent before the request. If none comes in time, the request
    /// fails with `ContentModified` (editors ask again), rather than being answered from
    /// an older graph in silence.
    async fn published(&self) -> Result<Arc<Published>> {
        let wanted = self.documents.generation();
        match self.wait_for(|published| published.ready && published.generation >= wanted).await {
            Some(Waited::Taken(published)) => Ok(published),
            None => Err(not_current(format!("{} is not being analysed", self.root.display()))),
            Some(Waited::Stopped) => Err(not_current("the analysis of this folder has stopped".to_owned())),
            Some(Waited::TimedOut) if self.latest().ready => Err(not_current(format!(
                "the analysis did not take in the latest edits within {:.1} s",
                faults::request_patience().as_secs_f64()
            ))),
            Some(Waited::TimedOut) => {
                Err(not_current(format!("{} is still being indexed; ask again when it is done", self.root.display())))
            }
        }
    }

    /// The newest published state, without waiting.
    fn latest(&self) -> Arc<Published> {
        self.analysis.get().map(|analysis| analysis.published.borrow().clone()).unwrap_or_default()
    }

    /// For `thread/stats`, which says how far the analysis is (`ready`, `generation`):
    /// the state once every edit sent before the request is in, or while indexing, or
    /// when none comes in time, the newest.
    async fn settled(&self) -> Arc<Published> {
        let wanted = self.documents.generation();
        match self.wait_for(|published| !published.ready || published.generation >= wanted).await {
            Some(Waited::Taken(published)) => published,
            _ => self.latest(),
        }
    }

    /// Whether the newest published graph holds `path`, without waiting for edits.
    fn holds(&self, path: &str) -> bool {
        self.latest().snapshot.file_at(path).is_some()
    }
}

/// How a wait for a published state ended.
enum Waited {
    Taken(Arc<Published>),
    /// The analysis task is gone.
    Stopped,
    TimedOut,
}

/// The error for a request that cannot be answered from a current graph: the protocol's
/// `ContentModified`, which editors drop quietly and ask again.
fn not_current(why: String) -> Error {
    tracing::debug!("a request is answered with ContentModified: {why}");
    Error { message: format!("Thread cannot answer from a current graph: {why}").into(), ..Error::content_modified() }
}

struct ThreadServer {
    client: Client,
    runtime: tokio::runtime::Handle,
    session: OnceLock<Session>,
    /// The workspace folders, the first one first.
    folders: RwLock<Vec<Arc<Folder>>>,
    /// The newest settings, for folders added later.
    settings: Mutex<Settings>,
}

impl ThreadServer {
    fn new(client: Client, runtime: tokio::runtime::Handle) -> ThreadServer {
        ThreadServer {
            client,
            runtime,
            session: OnceLock::new(),
            folders: RwLock::default(),
            settings: Mutex::default(),
        }
    }

    fn encoding(&self) -> Encoding {
        self.session.get().map_or(Encoding::Utf16, |session| session.encoding)
    }

    fn folders(&self) -> Vec<Arc<Folder>> {
        self.folders.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn settings(&self) -> Settings {
        self.settings.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The folder holding `uri` (the innermost, when folders nest) and the file's path
    /// relative to it.
    fn locate(&self, uri: &Uri) -> Option<(Arc<Folder>, String)> {
        // Canonical, as the roots are: behind a symlinked root (or macOS's `/var`, which
        // is `/private/var`) a document still lies in its folder.
        let path = canonical(&uri.to_file_path()?);
        self.folders()
            .into_iter()
            .filter_map(|folder| Some((relative_to(&folder.root, &path)?, folder)))
            .max_by_key(|(_, folder)| folder.root.components().count())
            .map(|(relative, folder)| (folder, relative))
    }

    /// Like [`ThreadServer::locate`], for a file the graph admits (`thread_engine::admit`:
    /// not under `node_modules/` or another excluded directory, not ignored, a source or
    /// project file within the size limit), or the folder's `thread.toml`. Editors open,
    /// and watchers report, many files that are none of these.
    fn locate_admitted(&self, uri: &Uri) -> Option<(Arc<Folder>, String)> {
        let (folder, path) = self.locate(uri)?;
        let admitted = self.admits(&folder, &path);
        if !admitted {
            tracing::debug!("{path} is not part of the graph; ignored");
        }
        admitted.then_some((folder, path))
    }

    /// Whether `path` may enter `folder`'s graph: `thread_engine::admit`, or the folder's
    /// `thread.toml`, which the rules read.
    fn admits(&self, folder: &Folder, path: &str) -> bool {
        LiveRules::is_config(path)
            || thread_engine::admit(&folder.root, path, &self.settings().load_options()).enters_graph()
    }

    /// The folder a custom request names with `{"folder": uri}`, else the first.
    fn folder_named(&self, params: Option<&serde_json::Value>) -> Option<Arc<Folder>> {
        let named = params.and_then(|params| params.get("folder")).and_then(serde_json::Value::as_str);
        let folders = self.folders();
        match named.and_then(|uri| uri.parse::<Uri>().ok()) {
            Some(uri) => {
                let root = folder_root(&uri)?;
                folders.into_iter().find(|folder| folder.root == root)
            }
            None => folders.into_iter().next(),
        }
    }

    /// Starts the analysis of `folder`. Folders after the first do not share the first
    /// one's explicitly named database or workspace name: each has a store of its own.
    fn start_analysis(&self, folder: &Folder, first: bool) {
        let Some(session) = self.session.get() else { return };
        let settings = self.settings();
        let setup = AnalysisSetup {
            client: self.client.clone(),
            root: folder.root.clone(),
            settings: if first { settings } else { settings.for_another_folder() },
            documents: Arc::clone(&folder.documents),
            encoding: session.encoding,
            runtime: self.runtime.clone(),
            progress: session.progress,
            lens_refresh: session.lens_refresh,
        };
        match analysis::start(setup) {
            Ok(analysis) => {
                let _ = folder.analysis.set(analysis);
            }
            Err(error) => {
                let client = self.client.clone();
                let message = format!("Thread cannot start analysing {}: {error}", folder.root.display());
                self.runtime.spawn(async move { client.show_message(MessageType::ERROR, message).await });
            }
        }
    }

    /// Shows what was wrong with new settings, in one message, each problem logged.
    async fn report_settings_problems(&self, problems: Vec<String>) {
        if problems.is_empty() {
            return;
        }
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        self.client.show_message(MessageType::WARNING, problems.join("\n")).await;
    }

    /// Logs `problem` and shows it to the user.
    async fn warn(&self, problem: String) {
        tracing::warn!("{problem}");
        self.client.show_message(MessageType::WARNING, problem).await;
    }

    /// A message from the editor that could not be decoded (see `framing`): reported,
    /// then ignored.
    async fn malformed(&self, params: serde_json::Value) {
        let problem = params.get("problem").and_then(serde_json::Value::as_str).unwrap_or("unknown");
        tracing::warn!("ignored a malformed message from the editor: {problem}");
        self.client.log_message(MessageType::ERROR, format!("Thread ignored a malformed message: {problem}")).await;
    }

    /// Runs `read` over a view of `folder`'s current snapshot (see `published`), on a
    /// blocking thread: the texts of unopened files are read from disk.
    async fn read<R: Send + 'static>(
        &self,
        folder: &Folder,
        read: impl FnOnce(&calls::CallView<'_>) -> R + Send + 'static,
    ) -> Result<R> {
        let published = folder.published().await?;
        self.answer_from(published, folder, read).await
    }

    /// Runs `read` over a view of `published` on a blocking thread.
    async fn answer_from<R: Send + 'static>(
        &self,
        published: Arc<Published>,
        folder: &Folder,
        read: impl FnOnce(&calls::CallView<'_>) -> R + Send + 'static,
    ) -> Result<R> {
        let root = folder.root.clone();
        let encoding = self.encoding();
        tokio::task::spawn_blocking(move || {
            read(&calls::CallView::new(&published.snapshot, &root, &published.documents, encoding))
        })
        .await
        .map_err(|error| {
            tracing::error!("a request failed: {error}");
            Error::internal_error()
        })
    }

    /// Runs `read` over the view of the folder holding `uri`, with the file's path in
    /// it; `None` for a file outside every folder. The request's positions are in the
    /// text the editor had when it sent it: if the snapshot analysed another version
    /// of the document (an edit came after the request, or the file's analysis failed),
    /// the request fails with `ContentModified` rather than mix the two.
    async fn read_at<R: Send + 'static>(
        &self,
        uri: &Uri,
        read: impl FnOnce(&calls::CallView<'_>, &str) -> R + Send + 'static,
    ) -> Result<Option<R>> {
        let Some((folder, path)) = self.locate(uri) else { return Ok(None) };
        let version = folder.documents.version(&path);
        let published = folder.published().await?;
        let analysed = published.documents.get(&path).map(|document| document.version);
        if analysed != version {
            return Err(not_current(format!("{path} changed while the request waited")));
        }
        if published.behind.contains(&path) {
            return Err(not_current(format!("the analysis of {path}'s latest text failed")));
        }
        self.answer_from(published, &folder, move |view| read(view, &path)).await.map(Some)
    }

    /// `thread/dependencyGraph`: the file graph of a folder (`{"folder": uri}`, else the
    /// first), in the `graph` command's JSON.
    async fn dependency_graph(&self, params: Option<serde_json::Value>) -> Result<serde_json::Value> {
        let Some(folder) = self.folder_named(params.as_ref()) else { return Ok(serde_json::Value::Null) };
        self.read(&folder, |view| crate::graph_output::graph_json(&view.snapshot().graph())).await
    }

    /// `thread/affectedFiles`: the open files whose buffers differ from the disk, and
    /// every file that depends on them, directly or not.
    async fn affected_files(&self, params: Option<serde_json::Value>) -> Result<serde_json::Value> {
        let Some(folder) = self.folder_named(params.as_ref()) else { return Ok(serde_json::Value::Null) };
        self.read(&folder, |view| {
            let snapshot = view.snapshot();
            let documents = view.documents();
            let mut unsaved: Vec<String> = documents
                .paths()
                .filter(|path| {
                    let on_disk = std::fs::read(view.root().join(path)).ok();
                    documents.get(path).is_some_and(|document| on_disk.as_deref() != Some(document.text.as_bytes()))
                })
                .map(str::to_owned)
                .collect();
            unsaved.sort();
            let ids: Vec<_> = unsaved.iter().filter_map(|path| snapshot.file_id(path)).collect();
            let mut affected: Vec<String> = snapshot
                .dependents_closure(&ids)
                .into_iter()
                .map(|id| snapshot.path(id).to_owned())
                .filter(|path| !unsaved.contains(path))
                .collect();
            affected.sort();
            serde_json::json!({ "unsaved": unsaved, "affected": affected })
        })
        .await
    }

    /// `thread/stats`: the first folder's files, edges, cache hit rate, last analysis,
    /// store and the files the graph is behind on (or the named folder's), with every
    /// folder's root, readiness and size.
    async fn stats(&self, params: Option<serde_json::Value>) -> Result<serde_json::Value> {
        let mut folders = Vec::new();
        for folder in self.folders() {
            let published = folder.settled().await;
            folders.push(serde_json::json!({
                "root": folder.root.display().to_string(),
                "ready": published.ready,
                "files": published.snapshot.len(),
            }));
        }
        let Some(folder) = self.folder_named(params.as_ref()) else { return Ok(serde_json::Value::Null) };
        let published = folder.settled().await;
        let edges: usize = published.snapshot.files().map(|file| file.links.len()).sum();
        let hit_rate = if published.cache_lookups == 0 {
            1.0
        } else {
            published.cache_hits as f64 / published.cache_lookups as f64
        };
        Ok(serde_json::json!({
            "ready": published.ready,
            "files": published.snapshot.len(),
            "edges": edges,
            "revision": published.revision_base + published.snapshot.revision(),
            "generation": published.generation,
            "cacheHitRate": hit_rate,
            "lastAnalysis": {
                "changed": published.last_changed,
                "affected": published.last_affected,
                "milliseconds": published.last_elapsed.as_secs_f64() * 1000.0,
            },
            "store": published.store,
            "saves": published.saves.as_ref().map(|saves| serde_json::json!({
                "submitted": saves.submitted,
                "saved": saves.saved,
                "refused": saves.refused,
                "failing": saves.failing,
                "unsaved": saves.unsaved,
            })),
            "behind": published.behind,
            "projectProblems": published.project_problems,
            "failures": published.failures.iter().map(|(path, why)| serde_json::json!({ "path": path, "why": why })).collect::<Vec<_>>(),
            "folders": folders,
        }))
    }
}

/// The directory a folder URI names, canonical so that URIs of one folder compare equal.
fn folder_root(uri: &Uri) -> Option<PathBuf> {
    let path = uri.to_file_path()?.into_owned();
    Some(path.canonicalize().unwrap_or(path))
}

/// `path` relative to `root`, with forward slashes; `None` outside the root.
/// `path` with the symbolic links of its directories resolved, and its own name kept: a
/// link to a file stays a document of its own, not its target's.
fn canonical(path: &Path) -> PathBuf {
    match (path.parent().and_then(|dir| dir.canonicalize().ok()), path.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> =
        relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl LanguageServer for ThreadServer {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut roots: Vec<PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|folder| folder_root(&folder.uri)).collect();
        if roots.is_empty() {
            #[allow(deprecated)]
            roots.extend(params.root_uri.as_ref().and_then(folder_root));
        }
        if roots.is_empty() {
            return Err(Error::invalid_params("Thread needs a workspace folder (or rootUri) on disk"));
        }
        let offered = params.capabilities.general.as_ref().and_then(|general| general.position_encodings.clone());
        let encoding = if offered.is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8)) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let (settings, problems) = Settings::from_options(params.initialization_options.as_ref());
        self.report_settings_problems(problems).await;
        *self.settings.lock().unwrap_or_else(PoisonError::into_inner) = settings;
        let progress =
            params.capabilities.window.as_ref().and_then(|window| window.work_done_progress).unwrap_or(false);
        let workspace = params.capabilities.workspace.as_ref();
        let lens_refresh = workspace
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|lens| lens.refresh_support)
            .unwrap_or(false);
        let pull_configuration = workspace.and_then(|workspace| workspace.configuration).unwrap_or(false);
        let watch_registration = workspace
            .and_then(|workspace| workspace.did_change_watched_files.as_ref())
            .and_then(|watched| watched.dynamic_registration)
            .unwrap_or(false);
        let _ = self.session.set(Session { encoding, progress, lens_refresh, pull_configuration, watch_registration });
        // Folders are started at `initialized`, when the client may hear from them.
        *self.folders.write().unwrap_or_else(PoisonError::into_inner) = roots.into_iter().map(Folder::new).collect();

        let sync = TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..TextDocumentSyncOptions::default()
        };
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(match encoding {
                    Encoding::Utf8 => PositionEncodingKind::UTF8,
                    Encoding::Utf16 => PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
                call_hierarchy_provider: Some(CallHierarchyServerCapability::Simple(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![lens::SHOW_DEPENDENTS.to_owned()],
                    ..ExecuteCommandOptions::default()
                }),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "thread-lsp".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        for (index, folder) in self.folders().iter().enumerate() {
            self.start_analysis(folder, index == 0);
        }
        // Without watchers, edits made in the editor still count, and files changed behind
        // it are read when they are opened or saved.
        if !self.session.get().is_some_and(|session| session.watch_registration) {
            tracing::info!(
                "the client takes no file watchers at run time; files changed outside the editor are read when opened"
            );
            return;
        }
        let watchers = WATCHED
            .iter()
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String((*glob).to_owned()), kind: None })
            .collect();
        let registration = Registration {
            id: "thread-watched-files".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            tracing::info!("the client does not watch files for Thread: {error}");
        }
    }

    async fn shutdown(&self) -> Result<()> {
        // Edits not yet in the stores are saved before the client stops us.
        let mut saved = Vec::new();
        for folder in self.folders() {
            let (reply, done) = tokio::sync::oneshot::channel();
            folder.send(Work::Flush(reply));
            saved.push(done);
        }
        let all = futures_util::future::join_all(saved);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(15), all).await;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let Some((folder, path)) = self.locate_admitted(&document.uri) else { return };
        folder.documents.open(&path, document.text, document.version);
        folder.send(Work::DocumentsChanged);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some((folder, path)) = self.locate(&params.text_document.uri) else { return };
        // A document that was not admitted when opened is not tracked.
        if !folder.documents.is_open(&path) {
            return;
        }
        let version = params.text_document.version;
        match folder.documents.change(&path, version, params.content_changes, self.encoding()) {
            Ok(0) => {}
            Ok(clamped) => tracing::warn!(%path, clamped, "an edit reached past the end of the document; clamped"),
            Err(error) => {
                tracing::warn!("{error}");
                return;
            }
        }
        folder.send(Work::DocumentsChanged);
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // The buffer's text is already what the graph holds.
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some((folder, path)) = self.locate(&params.text_document.uri) else { return };
        if !folder.documents.is_open(&path) {
            return;
        }
        folder.documents.close(&path);
        folder.send(Work::DocumentsChanged);
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let root_of = |folder: &WorkspaceFolder| folder_root(&folder.uri);
        let removed: Vec<PathBuf> = params.event.removed.iter().filter_map(root_of).collect();
        let added: Vec<PathBuf> = params.event.added.iter().filter_map(root_of).collect();
        let mut kept = self.folders();
        // A removed folder's task saves what is pending and ends once its sender is gone.
        kept.retain(|folder| !removed.contains(&folder.root));
        for root in added {
            if !kept.iter().any(|folder| folder.root == root) {
                let folder = Folder::new(root);
                self.start_analysis(&folder, kept.is_empty());
                kept.push(folder);
            }
        }
        *self.folders.write().unwrap_or_else(PoisonError::into_inner) = kept;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let (settings, problems) = match Settings::from_change(&params.settings) {
            // A bare notification: the settings are the client's to give on request.
            (None, _) if self.session.get().is_some_and(|session| session.pull_configuration) => {
                let item = ConfigurationItem { scope_uri: None, section: Some("thread".to_owned()) };
                match self.client.configuration(vec![item]).await {
                    Ok(values) => match values.first().map(Settings::from_change) {
                        Some((settings, problems)) => (Some(settings.unwrap_or_default()), problems),
                        None => (None, Vec::new()),
                    },
                    Err(error) => {
                        tracing::warn!("the client did not give its settings: {error}");
                        (None, Vec::new())
                    }
                }
            }
            other => other,
        };
        self.report_settings_problems(problems).await;
        if let Some(settings) = settings {
            let (_, problem) = settings.store_args();
            if let Some(problem) = problem {
                self.warn(problem).await;
            }
            *self.settings.lock().unwrap_or_else(PoisonError::into_inner) = settings.clone();
            for (index, folder) in self.folders().iter().enumerate() {
                let settings = if index == 0 { settings.clone() } else { settings.for_another_folder() };
                folder.send(Work::Reconfigure(Box::new(settings)));
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut by_folder: Vec<(Arc<Folder>, Vec<String>)> = Vec::new();
        let mut rescans: Vec<Arc<Folder>> = Vec::new();
        let load_options = self.settings().load_options();
        for change in &params.changes {
            let Some((folder, path)) = self.locate(&change.uri) else { continue };
            if thread_engine::is_ignore_file(&path, &load_options) {
                if !rescans.iter().any(|known| Arc::ptr_eq(known, &folder)) {
                    rescans.push(folder);
                }
                continue;
            }
            // What cannot enter the graph is dropped here (`node_modules/**/package.json`
            // would otherwise re-resolve the workspace), unless the graph holds it: a file
            // refused for its size, for being a link, or newly ignored goes on, to leave it.
            if !self.admits(&folder, &path) && !folder.holds(&path) {
                continue;
            }
            match by_folder.iter_mut().find(|(known, _)| Arc::ptr_eq(known, &folder)) {
                Some((_, paths)) => paths.push(path),
                None => by_folder.push((folder, vec![path])),
            }
        }
        for (folder, paths) in by_folder {
            folder.send(Work::DiskChanged(paths));
        }
        for folder in rescans {
            folder.send(Work::Rescan);
        }
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let symbols = self.read_at(&params.text_document.uri, symbols::document_symbols).await?.flatten();
        Ok(symbols.map(DocumentSymbolResponse::Flat))
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        // Each folder answers for itself: one still indexing (or stopped) leaves the others'
        // symbols standing; only when none can answer is the request refused.
        let mut found = Vec::new();
        let mut refusals = Vec::new();
        let folders = self.folders();
        for folder in &folders {
            let query = params.query.clone();
            match self.read(folder, move |view| symbols::workspace_symbols(view, &query)).await {
                Ok(symbols) => found.extend(symbols),
                Err(error) => refusals.push(error),
            }
        }
        match refusals.pop() {
            Some(error) if refusals.len() + 1 == folders.len() => Err(error),
            _ => Ok(Some(WorkspaceSymbolResponse::Flat(found))),
        }
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let at = position.position;
        let found = self.read_at(&position.text_document.uri, move |view, path| view.definition(path, at));
        let locations = found.await?.unwrap_or_default();
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let position = params.text_document_position;
        let include_declaration = params.context.include_declaration;
        let at = position.position;
        self.read_at(&position.text_document.uri, move |view, path| view.references(path, at, include_declaration))
            .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        Ok(self.read_at(&params.text_document.uri, lens::dependents_lenses).await?.flatten())
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<serde_json::Value>> {
        match params.command.as_str() {
            // The lens carries its answer: the uses' locations, its third argument.
            lens::SHOW_DEPENDENTS => Ok(params.arguments.get(2).cloned()),
            other => Err(Error::invalid_params(format!("Thread has no command {other:?}"))),
        }
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        let position = params.text_document_position_params;
        let at = position.position;
        Ok(self.read_at(&position.text_document.uri, move |view, path| view.prepare(path, at)).await?.flatten())
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        let item = params.item;
        let uri = item.uri.clone();
        let calls = self.read_at(&uri, move |view, _| view.incoming(&item)).await?.transpose();
        calls.map(Option::flatten).map_err(Error::invalid_params)
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        let item = params.item;
        let uri = item.uri.clone();
        let calls = self.read_at(&uri, move |view, _| view.outgoing(&item)).await?.transpose();
        calls.map(Option::flatten).map_err(Error::invalid_params)
    }
}
