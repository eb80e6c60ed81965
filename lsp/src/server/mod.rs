//! `thread-lsp serve`: the language server on stdio.
//!
//! Ordering is safe by construction (see ARCHITECTURE.md):
//!
//! - notification handlers change the document store before any `.await` and then hand
//!   the path to the analysis task;
//! - the analysis task alone owns the graph;
//! - request handlers read the newest immutable snapshot it published.

mod analysis;
mod calls;
mod config;
mod diagnostics;
mod documents;
mod framing;
mod impact;
mod lens;
mod symbols;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use analysis::{Analysis, AnalysisSetup, Published, Work};
use config::Settings;
use documents::{Documents, Encoding};

/// The files whose changes on disk matter: sources of the four languages and the
/// project files that steer resolution.
const WATCHED: &[&str] = &[
    "**/*.{rs,py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs,go}",
    "**/{Cargo.toml,pyproject.toml,setup.cfg,setup.py,package.json,go.mod,go.work}",
    "**/{tsconfig,jsconfig}*.json",
];

/// Serves LSP on stdin and stdout until the client exits.
pub(crate) fn run() -> anyhow::Result<std::process::ExitCode> {
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

/// What `initialize` settled.
struct Session {
    root: PathBuf,
    settings: Settings,
    encoding: Encoding,
    progress: bool,
    lens_refresh: bool,
    /// Whether the client answers `workspace/configuration`.
    pull_configuration: bool,
}

struct ThreadServer {
    client: Client,
    runtime: tokio::runtime::Handle,
    documents: Arc<Documents>,
    session: OnceLock<Session>,
    analysis: OnceLock<Analysis>,
}

impl ThreadServer {
    fn new(client: Client, runtime: tokio::runtime::Handle) -> ThreadServer {
        ThreadServer { client, runtime, documents: Arc::default(), session: OnceLock::new(), analysis: OnceLock::new() }
    }

    fn encoding(&self) -> Encoding {
        self.session.get().map_or(Encoding::Utf16, |session| session.encoding)
    }

    /// The workspace-relative path of `uri`, for files under the root.
    fn relative_path(&self, uri: &Uri) -> Option<String> {
        let root = &self.session.get()?.root;
        let path = uri.to_file_path()?;
        relative_to(root, &path)
    }

    fn send(&self, work: Work) {
        if let Some(analysis) = self.analysis.get() {
            let _ = analysis.work.send(work);
        }
    }

    /// The newest published state, for request handlers. Once the workspace is
    /// indexed, it waits (briefly) until the analysis has taken in every edit sent
    /// before this request; while indexing, it answers from what is known.
    async fn published(&self) -> Arc<Published> {
        let Some(analysis) = self.analysis.get() else { return Arc::default() };
        let wanted = self.documents.generation();
        let mut receiver = analysis.published.clone();
        let caught_up = receiver.wait_for(|published| !published.ready || published.generation >= wanted);
        match tokio::time::timeout(std::time::Duration::from_secs(5), caught_up).await {
            Ok(Ok(published)) => published.clone(),
            _ => analysis.published.borrow().clone(),
        }
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

    /// Runs `read` over a view of the newest snapshot (see `published`); `None` before
    /// `initialize`.
    async fn read<R>(&self, read: impl FnOnce(&calls::CallView<'_>) -> R) -> Option<R> {
        let session = self.session.get()?;
        let published = self.published().await;
        Some(read(&calls::CallView::new(&published.snapshot, &session.root, &self.documents, session.encoding)))
    }

    /// `thread/dependencyGraph`: the file graph, in the `graph` command's JSON.
    async fn dependency_graph(&self) -> Result<serde_json::Value> {
        let published = self.published().await;
        Ok(crate::graph_output::graph_json(&published.snapshot.graph()))
    }

    /// `thread/affectedFiles`: the open files whose buffers differ from the disk, and
    /// every file that depends on them, directly or not.
    async fn affected_files(&self) -> Result<serde_json::Value> {
        let Some(session) = self.session.get() else { return Ok(serde_json::Value::Null) };
        let published = self.published().await;
        let snapshot = &published.snapshot;
        let mut unsaved: Vec<String> = self
            .documents
            .paths()
            .into_iter()
            .filter(|path| {
                let on_disk = std::fs::read(session.root.join(path)).ok();
                self.documents.get(path).is_some_and(|document| on_disk.as_deref() != Some(document.text.as_bytes()))
            })
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
        Ok(serde_json::json!({ "unsaved": unsaved, "affected": affected }))
    }

    /// `thread/stats`: files, edges, cache hit rate, the last analysis and the store.
    async fn stats(&self) -> Result<serde_json::Value> {
        let published = self.published().await;
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
            "revision": published.snapshot.revision(),
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
                "failing": saves.failing,
            })),
        }))
    }
}

/// `path` relative to `root`, with forward slashes; `None` outside the root.
fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> =
        relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl LanguageServer for ThreadServer {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|folders| folders.first())
            .and_then(|folder| folder.uri.to_file_path().map(|path| path.into_owned()))
            .or_else(|| {
                #[allow(deprecated)]
                params.root_uri.as_ref().and_then(|uri| uri.to_file_path().map(|path| path.into_owned()))
            })
            .ok_or_else(|| Error::invalid_params("Thread needs a workspace folder (or rootUri) on disk"))?;
        let root = root.canonicalize().unwrap_or(root);
        let offered = params.capabilities.general.as_ref().and_then(|general| general.position_encodings.clone());
        let encoding = if offered.is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8)) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let (settings, problem) = Settings::from_options(params.initialization_options.as_ref());
        if let Some(problem) = problem {
            self.warn(problem).await;
        }
        let progress =
            params.capabilities.window.as_ref().and_then(|window| window.work_done_progress).unwrap_or(false);
        let lens_refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|lens| lens.refresh_support)
            .unwrap_or(false);
        let pull_configuration =
            params.capabilities.workspace.as_ref().and_then(|workspace| workspace.configuration).unwrap_or(false);
        let _ = self.session.set(Session { root, settings, encoding, progress, lens_refresh, pull_configuration });

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
        let Some(session) = self.session.get() else { return };
        let setup = AnalysisSetup {
            client: self.client.clone(),
            root: session.root.clone(),
            settings: session.settings.clone(),
            documents: Arc::clone(&self.documents),
            encoding: session.encoding,
            runtime: self.runtime.clone(),
            progress: session.progress,
            lens_refresh: session.lens_refresh,
        };
        match analysis::start(setup) {
            Ok(analysis) => {
                let _ = self.analysis.set(analysis);
            }
            Err(error) => {
                self.client
                    .show_message(MessageType::ERROR, format!("Thread cannot start its analysis: {error}"))
                    .await;
            }
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
        // Clients without dynamic registration refuse; edits in the editor still count.
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            tracing::info!("the client does not watch files for Thread: {error}");
        }
    }

    async fn shutdown(&self) -> Result<()> {
        // Edits not yet in the store are saved before the client stops us.
        let (reply, saved) = tokio::sync::oneshot::channel();
        self.send(Work::Flush(reply));
        let _ = tokio::time::timeout(std::time::Duration::from_secs(15), saved).await;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let Some(path) = self.relative_path(&document.uri) else { return };
        self.documents.open(&path, document.text, document.version);
        self.send(Work::Edited(path));
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = self.relative_path(&params.text_document.uri) else { return };
        match self.documents.change(&path, params.text_document.version, params.content_changes, self.encoding()) {
            Ok(0) => {}
            Ok(clamped) => tracing::warn!(%path, clamped, "an edit reached past the end of the document; clamped"),
            Err(error) => {
                tracing::warn!("{error}");
                return;
            }
        }
        self.send(Work::Edited(path));
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // The buffer's text is already what the graph holds.
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = self.relative_path(&params.text_document.uri) else { return };
        self.documents.close(&path);
        self.send(Work::Closed(path));
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let settings = match Settings::from_change(&params.settings) {
            Ok(Some(settings)) => Some(settings),
            // A bare notification: the settings are the client's to give on request.
            Ok(None) if self.session.get().is_some_and(|session| session.pull_configuration) => {
                let item = ConfigurationItem { scope_uri: None, section: Some("thread".to_owned()) };
                match self.client.configuration(vec![item]).await {
                    Ok(values) => match values.first().map(Settings::from_change) {
                        Some(Ok(settings)) => Some(settings.unwrap_or_default()),
                        Some(Err(problem)) => {
                            self.warn(problem).await;
                            None
                        }
                        None => None,
                    },
                    Err(error) => {
                        tracing::warn!("the client did not give its settings: {error}");
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(problem) => {
                self.warn(problem).await;
                None
            }
        };
        if let Some(settings) = settings {
            let (_, problem) = settings.store_args();
            if let Some(problem) = problem {
                self.warn(problem).await;
            }
            self.send(Work::Reconfigure(Box::new(settings)));
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let paths: Vec<String> = params.changes.iter().filter_map(|change| self.relative_path(&change.uri)).collect();
        if !paths.is_empty() {
            self.send(Work::DiskChanged(paths));
        }
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let Some(path) = self.relative_path(&params.text_document.uri) else { return Ok(None) };
        let symbols = self.read(|view| symbols::document_symbols(view, &path)).await.flatten();
        Ok(symbols.map(DocumentSymbolResponse::Flat))
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        let symbols = self.read(|view| symbols::workspace_symbols(view, &params.query)).await;
        Ok(symbols.map(WorkspaceSymbolResponse::Flat))
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let Some(path) = self.relative_path(&position.text_document.uri) else { return Ok(None) };
        let locations = self.read(|view| view.definition(&path, position.position)).await.unwrap_or_default();
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let position = params.text_document_position;
        let Some(path) = self.relative_path(&position.text_document.uri) else { return Ok(None) };
        let include_declaration = params.context.include_declaration;
        Ok(self.read(|view| view.references(&path, position.position, include_declaration)).await)
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(path) = self.relative_path(&params.text_document.uri) else { return Ok(None) };
        Ok(self.read(|view| lens::dependents_lenses(view, &path)).await.flatten())
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
        let Some(path) = self.relative_path(&position.text_document.uri) else { return Ok(None) };
        Ok(self.read(|view| view.prepare(&path, position.position)).await.flatten())
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        let calls = self.read(|view| view.incoming(&params.item)).await.transpose();
        calls.map(Option::flatten).map_err(Error::invalid_params)
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        let calls = self.read(|view| view.outgoing(&params.item)).await.transpose();
        calls.map(Option::flatten).map_err(Error::invalid_params)
    }
}
