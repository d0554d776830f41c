//! Script errors as `file:line:column: message`, with the sandbox limits named in plain words.

use rhai::{EvalAltResult, ParseError, ParseErrorType, Position};

use super::ScriptLimits;

/// A script that cannot be read or compiled. Runtime errors stop the run as a
/// [`StrategyError`](ml4t_engine::strategy::StrategyError) with the same `file:line:column`
/// prefix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScriptError {
    #[error("{origin}: cannot read the script: {message}; check the path")]
    Io { origin: String, message: String },
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Callback { origin: String, message: String },
}

impl ScriptError {
    /// (line, column) of a parse error.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            ScriptError::Parse { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

pub(super) fn parse_error(origin: &str, e: &ParseError, limits: &ScriptLimits) -> ScriptError {
    let pos = e.position();
    let message = match e.err_type() {
        ParseErrorType::ExprTooDeep => format!(
            "expression nested deeper than the limit of {} levels; split it with `let`",
            limits.max_expr_depth
        ),
        ParseErrorType::LiteralTooLarge(what, max) => {
            format!("{what} exceeds the limit of {max}; shorten the literal")
        }
        other => other.to_string(),
    };
    ScriptError::Parse {
        origin: origin.into(),
        line: pos.line().unwrap_or(0),
        column: pos.position().unwrap_or(0),
        message,
    }
}

/// A runtime error in `callback` as one line: where it happened (innermost position), what
/// happened, and the chain of script functions it happened in.
/// `definition` is where the callback is defined: limit errors carry no position of their own.
pub(super) fn runtime_error(
    origin: &str,
    callback: &str,
    definition: Option<(usize, usize)>,
    e: &EvalAltResult,
    limits: &ScriptLimits,
) -> String {
    let mut chain = Vec::new();
    let mut inner = e;
    while let EvalAltResult::ErrorInFunctionCall(name, _, err, pos) = inner {
        chain.push(format!("in {name}() called at {}", line_col(*pos)));
        inner = err;
    }
    let mut pos = inner.position();
    if pos.is_none()
        && let Some((line, column)) = definition
    {
        pos = Position::new(
            line.clamp(1, u16::MAX as usize) as u16,
            column.min(u16::MAX as usize) as u16,
        );
        chain.insert(0, format!("in {callback}()"));
    }
    let message = match inner {
        EvalAltResult::ErrorTooManyOperations(..) => format!(
            "operations limit: {callback} ran more than {} operations in one call (an endless loop?); \
             simplify the script or raise the limit",
            limits.max_operations
        ),
        EvalAltResult::ErrorDataTooLarge(what, ..) if what.starts_with("Length of string") => format!(
            "string size limit: a string grew beyond {} characters",
            limits.max_string_size
        ),
        EvalAltResult::ErrorDataTooLarge(what, ..) if what.starts_with("Size of array") => format!(
            "array size limit: an array grew beyond {} elements",
            limits.max_array_size
        ),
        EvalAltResult::ErrorDataTooLarge(what, ..) if what.starts_with("Size of object map") => {
            format!("map size limit: a map grew beyond {} entries", limits.max_map_size)
        }
        EvalAltResult::ErrorStackOverflow(..) => format!(
            "call depth limit: functions nested deeper than {} calls (endless recursion?)",
            limits.max_call_levels
        ),
        EvalAltResult::ErrorTooManyVariables(..) => format!(
            "variables limit: more than {} variables alive at once",
            limits.max_variables
        ),
        other => {
            // Rhai appends " (line l, position c)"; the position leads the line here instead.
            let text = other.to_string();
            let suffix = format!(" ({pos})");
            text.strip_suffix(&suffix).map(str::to_owned).unwrap_or(text)
        }
    };
    let mut out = format!("{origin}:{}: {message}", line_col(pos));
    if !chain.is_empty() {
        out.push_str(" (");
        out.push_str(&chain.join(", "));
        out.push(')');
    }
    out
}

fn line_col(pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{l}:{c}"),
        (Some(l), None) => format!("{l}:0"),
        _ => "0:0".into(),
    }
}
