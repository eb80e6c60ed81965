//! Per-file analysis as a ReCoco flow, behind a small trait of ours.
//!
//! The flow is `(path, language, content, reading, ticket) → thread.extract_facts → facts`: our tree-sitter
//! extractor registered as a ReCoco operator, built once as a transient flow and evaluated
//! per file. Both the cold index and the edit path go through [`FactsFlow`], so both run
//! this one flow.
//!
//! The flow's output is a ticket for the facts the operator built, not their encoding:
//! the flow and its caller share a process, and encoding a large file's facts only to
//! decode them again cost a tenth of every keystroke in it ([`HandOff`]).
//!
//! What ReCoco does and does not do here: without a PostgreSQL database ReCoco's own
//! memoization and change tracking do not run (transient evaluation has caching off), so
//! the content-addressed cache ([`crate::memo`]) and cross-file invalidation
//! ([`crate::host`]) are Thread's. ReCoco's API is pre-1.0, so nothing outside this
//! module names it.

use std::sync::{Arc, OnceLock};

use recoco_core::base::schema::{BasicValueType, make_output_type};
use recoco_core::base::value::{BasicValue, Value};
use recoco_core::builder::AnalyzedTransientFlow;
use recoco_core::builder::flow_builder::FlowBuilder;
use recoco_core::ops::interface::{FlowInstanceContext, SimpleFunctionExecutor};
use recoco_core::ops::sdk::{
    EmptySpec, OpArgsResolver, ResolvedOpArg, ResolvedOpArgExt, SimpleFunctionAnalysisOutput,
    SimpleFunctionFactoryBase, ValueType,
};
use recoco_core::prelude::async_trait;
use thread_extractors::{EditCache, FileFacts, Lang, extract, extract_imports};

/// Why a file could not be analysed. Broken user code is never one of these.
#[derive(Clone, Debug, thiserror::Error)]
pub enum FlowError {
    /// The flow could not be set up (a fault of Thread's).
    #[error("the analysis flow could not be built: {0}")]
    Setup(String),
    /// Extraction failed on this file (a fault of Thread's, never of the code).
    #[error("analysis of {path} failed: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// How much of a file the flow reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reading {
    /// Imports, definitions, calls, locals and syntax errors: what the symbol layer and
    /// the diagnostics need.
    Everything,
    /// The imports alone, where the language can find them without a whole parse
    /// ([`thread_extractors::extract_imports`]); everything elsewhere. For the commands
    /// that read only the file graph.
    Imports,
}

impl Reading {
    /// What this reading amounts to for `lang`: [`Reading::Imports`] only where the
    /// language reads its imports alone.
    pub fn for_lang(self, lang: Lang) -> Reading {
        match self {
            Reading::Imports if lang.reads_imports_alone() => Reading::Imports,
            _ => Reading::Everything,
        }
    }

    /// The reading that gave `facts`.
    pub fn of(facts: &FileFacts) -> Reading {
        if facts.imports_only { Reading::Imports } else { Reading::Everything }
    }

    fn id(self) -> &'static str {
        match self {
            Reading::Everything => "everything",
            Reading::Imports => "imports",
        }
    }

    fn from_id(id: &str) -> Option<Reading> {
        [Reading::Everything, Reading::Imports].into_iter().find(|reading| reading.id() == id)
    }

    /// Runs the extractor this reading names.
    fn extract(self, lang: Lang, content: &[u8]) -> Result<FileFacts, thread_extractors::ExtractError> {
        match self.for_lang(lang) {
            Reading::Everything => extract(lang, content),
            Reading::Imports => extract_imports(lang, content),
        }
    }
}

/// Turns one file's content into facts.
pub trait FactsFlow: Send + Sync {
    /// Analyses `content`, which is `path` in `lang`, reading what `reading` says.
    /// Blocking; call it off any async executor (the LSP runs it on its analysis thread
    /// or `spawn_blocking`).
    fn analyze(&self, path: &str, lang: Lang, content: &[u8], reading: Reading) -> Result<FileFacts, FlowError>;
}

/// The extractor called directly, without ReCoco: the baseline the benchmarks compare
/// the flow against.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectExtraction;

impl FactsFlow for DirectExtraction {
    fn analyze(&self, path: &str, lang: Lang, content: &[u8], reading: Reading) -> Result<FileFacts, FlowError> {
        reading
            .extract(lang, content)
            .map_err(|error| FlowError::File { path: path.to_owned(), message: error.to_string() })
    }
}

/// The ReCoco transient flow.
pub struct RecocoFlow {
    flow: Arc<AnalyzedTransientFlow>,
}

const OPERATOR: &str = "thread.extract_facts";

impl RecocoFlow {
    /// The process-wide flow, built on first use. ReCoco keeps a global operator registry
    /// and library context, so there is one flow per process.
    pub fn shared() -> Result<Arc<RecocoFlow>, FlowError> {
        static SHARED: OnceLock<Result<Arc<RecocoFlow>, FlowError>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                keep_recoco_logs_off_stdout();
                block_on(build)?.map(|flow| Arc::new(RecocoFlow { flow }))
            })
            .clone()
    }
}

impl FactsFlow for RecocoFlow {
    fn analyze(&self, path: &str, lang: Lang, content: &[u8], reading: Reading) -> Result<FileFacts, FlowError> {
        let fail = |message: String| FlowError::File { path: path.to_owned(), message };
        let ticket = HandOff::ticket();
        let inputs = vec![
            Value::Basic(BasicValue::Str(Arc::from(path))),
            Value::Basic(BasicValue::Str(Arc::from(lang.id()))),
            Value::Basic(BasicValue::Bytes(bytes::Bytes::copy_from_slice(content))),
            Value::Basic(BasicValue::Str(Arc::from(reading.id()))),
            Value::Basic(BasicValue::Int64(ticket)),
        ];
        let output = block_on(|| recoco_core::execution::evaluator::evaluate_transient_flow(&self.flow, &inputs));
        // Taken whatever happened, so that a failed evaluation leaves nothing behind.
        let facts = HandOff::take(ticket);
        match output?.map_err(|error| fail(error.to_string()))? {
            Value::Basic(BasicValue::Int64(returned)) if returned == ticket => {
                facts.ok_or_else(|| fail(format!("the flow left no facts under ticket {ticket}")))
            }
            other => Err(fail(format!("the flow returned {other:?} instead of ticket {ticket}"))),
        }
    }
}

async fn build() -> Result<Arc<AnalyzedTransientFlow>, FlowError> {
    let setup = |error: recoco_core::prelude::utils::error::Error| FlowError::Setup(error.to_string());
    recoco_core::lib_context::init_lib_context(Some(recoco_core::settings::Settings::default()))
        .await
        .map_err(setup)?;
    // Registering twice (a second flow in one process) is refused; the first one stands.
    let _ = recoco_core::ops::register_factory(
        OPERATOR.to_owned(),
        recoco_core::ops::interface::ExecutorFactory::SimpleFunction(Arc::new(ExtractFactsOperator)),
    );
    let mut builder = FlowBuilder::new("thread_file_analysis").await.map_err(setup)?;
    let text = make_output_type(BasicValueType::Str);
    let path = builder.add_direct_input("path".to_owned(), text.clone()).map_err(setup)?;
    let language = builder.add_direct_input("language".to_owned(), text.clone()).map_err(setup)?;
    let content =
        builder.add_direct_input("content".to_owned(), make_output_type(BasicValueType::Bytes)).map_err(setup)?;
    let reading = builder.add_direct_input("reading".to_owned(), text.clone()).map_err(setup)?;
    let ticket =
        builder.add_direct_input("ticket".to_owned(), make_output_type(BasicValueType::Int64)).map_err(setup)?;
    let facts = builder
        .transform(
            OPERATOR.to_owned(),
            serde_json::Map::new(),
            vec![
                (path, Some("path".to_owned())),
                (language, Some("language".to_owned())),
                (content, Some("content".to_owned())),
                (reading, Some("reading".to_owned())),
                (ticket, Some("ticket".to_owned())),
            ],
            None,
            "extract_facts".to_owned(),
        )
        .await
        .map_err(setup)?;
    builder.set_direct_output(facts).map_err(setup)?;
    let flow = builder.build_transient_flow().await.map_err(setup)?;
    Ok(flow.0)
}

/// Facts the operator built, each under the ticket its caller chose, until that caller
/// takes them: the caller issues a ticket, passes it in with the file, and takes its
/// facts after the evaluation, whether it succeeded or not, so nothing is left behind.
struct HandOff;

static HANDED_OFF: std::sync::Mutex<Vec<(i64, FileFacts)>> = std::sync::Mutex::new(Vec::new());
static NEXT_TICKET: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

impl HandOff {
    fn ticket() -> i64 {
        NEXT_TICKET.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn leave(ticket: i64, facts: FileFacts) {
        HANDED_OFF.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((ticket, facts));
    }

    fn take(ticket: i64) -> Option<FileFacts> {
        let mut left = HANDED_OFF.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let position = left.iter().position(|(left_ticket, _)| *left_ticket == ticket)?;
        Some(left.swap_remove(position).1)
    }
}

/// The operator: `(path, language, content, reading, ticket) → ticket`, the facts handed
/// off under the ticket.
///
/// Its executor keeps the trees and pieces of the files it extracted last ([`EditCache`]), so the
/// next version of a file being typed in is parsed incrementally and only the items the
/// edit touched are queried again.
struct ExtractFactsOperator;

/// How many files the operator keeps trees for: the files being edited are the most
/// recent ones.
const FILES_KEPT_FOR_EDITS: usize = 8;

struct ExtractFactsArgs {
    path: ResolvedOpArg,
    language: ResolvedOpArg,
    content: ResolvedOpArg,
    reading: ResolvedOpArg,
    /// Where to leave the facts ([`HandOff`]).
    ticket: ResolvedOpArg,
}

struct ExtractFactsExecutor {
    args: ExtractFactsArgs,
    edits: EditCache,
}

#[async_trait]
impl SimpleFunctionExecutor for ExtractFactsExecutor {
    async fn evaluate(&self, input: Vec<Value>) -> recoco_core::prelude::utils::error::Result<Value> {
        use recoco_core::prelude::utils::error::Error;
        let path = self.args.path.value(&input)?.as_str()?.to_string();
        let language = self.args.language.value(&input)?.as_str()?.to_string();
        let lang = Lang::from_id(&language).ok_or_else(|| Error::client(format!("unknown language {language}")))?;
        let content = match self.args.content.value(&input)? {
            Value::Basic(BasicValue::Bytes(bytes)) => bytes.clone(),
            other => return Err(Error::client(format!("content must be bytes, not {other:?}"))),
        };
        let reading = self.args.reading.value(&input)?.as_str()?.to_string();
        let reading = Reading::from_id(&reading).ok_or_else(|| Error::client(format!("unknown reading {reading}")))?;
        // Only a whole parse is worth keeping for the next edit of the file.
        let facts = match reading.for_lang(lang) {
            Reading::Everything => self.edits.extract(&path, lang, &content),
            Reading::Imports => extract_imports(lang, &content),
        }
        .map_err(|error| Error::internal_msg(error.to_string()))?;
        let ticket = match self.args.ticket.value(&input)? {
            Value::Basic(BasicValue::Int64(ticket)) => *ticket,
            other => return Err(Error::client(format!("the ticket must be an integer, not {other:?}"))),
        };
        HandOff::leave(ticket, facts);
        Ok(Value::Basic(BasicValue::Int64(ticket)))
    }
}

#[async_trait]
impl SimpleFunctionFactoryBase for ExtractFactsOperator {
    type Spec = EmptySpec;
    type ResolvedArgs = ExtractFactsArgs;

    fn name(&self) -> &str {
        OPERATOR
    }

    async fn analyze<'a>(
        &'a self,
        _spec: &'a EmptySpec,
        args_resolver: &mut OpArgsResolver<'a>,
        _context: &FlowInstanceContext,
    ) -> recoco_core::prelude::utils::error::Result<SimpleFunctionAnalysisOutput<ExtractFactsArgs>> {
        let text = ValueType::Basic(BasicValueType::Str);
        let args = ExtractFactsArgs {
            // The path finds the file's previous version in the edit cache.
            path: args_resolver.next_arg("path")?.expect_type(&text)?.required()?,
            language: args_resolver.next_arg("language")?.expect_type(&text)?.required()?,
            content: args_resolver
                .next_arg("content")?
                .expect_type(&ValueType::Basic(BasicValueType::Bytes))?
                .required()?,
            reading: args_resolver.next_arg("reading")?.expect_type(&text)?.required()?,
            ticket: args_resolver
                .next_arg("ticket")?
                .expect_type(&ValueType::Basic(BasicValueType::Int64))?
                .required()?,
        };
        Ok(SimpleFunctionAnalysisOutput {
            resolved_args: args,
            output_schema: make_output_type(BasicValueType::Int64),
            behavior_version: Some(thread_extractors::EXTRACTOR_REVISION),
        })
    }

    async fn build_executor(
        self: Arc<Self>,
        _spec: EmptySpec,
        args: ExtractFactsArgs,
        _context: Arc<FlowInstanceContext>,
    ) -> recoco_core::prelude::utils::error::Result<impl SimpleFunctionExecutor> {
        Ok(ExtractFactsExecutor { args, edits: EditCache::new(FILES_KEPT_FOR_EDITS) })
    }
}

/// ReCoco's library context installs a tracing subscriber that writes to stdout unless
/// one is already set, and stdout is the LSP channel. Set ours, on stderr, first; when the
/// application has set its own, this does nothing.
fn keep_recoco_logs_off_stdout() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("THREAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).with_env_filter(filter).try_init();
}

/// Runs a ReCoco future to completion from synchronous code, on a current-thread runtime
/// of this thread's own (ReCoco's evaluator needs tokio's timer). A thread that is inside
/// some other runtime's context (an async caller, `spawn_blocking`) cannot start one, so
/// there the future runs on a short-lived helper thread instead; the LSP's analysis thread
/// and rayon's workers never pay for that.
fn block_on<Make, F>(make: Make) -> Result<F::Output, FlowError>
where
    Make: FnOnce() -> F + Send,
    F: std::future::Future,
    F::Output: Send,
{
    thread_local! {
        static RUNTIME: Result<tokio::runtime::Runtime, String> =
            tokio::runtime::Builder::new_current_thread().enable_time().build().map_err(|error| error.to_string());
    }
    let run_here = |make: Make| {
        RUNTIME.with(|runtime| match runtime {
            Ok(runtime) => Ok(runtime.block_on(make())),
            Err(error) => Err(FlowError::Setup(format!("cannot start the runtime ReCoco needs: {error}"))),
        })
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return run_here(make);
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| run_here(make))
            .join()
            .unwrap_or_else(|_| Err(FlowError::Setup("the analysis helper thread panicked".to_owned())))
    })
}
