//! Loading a script: files, `include` (relative to the including file), named blocks, and the
//! checks that need the whole script (include cycles, unknown blocks, block cycles).

use super::Script;
use super::error::{Loc, ScriptError};
use super::line::logical_lines;
use super::syntax::{LineKind, Stmt, parse_line};
use super::token::perr;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A named block: `block NAME` ... `end`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub loc: Loc,
    pub stmts: Vec<Stmt>,
}

struct OpenBlock {
    name: String,
    loc: Loc,
    depth: usize,
    stmts: Vec<Stmt>,
}

struct Loader {
    main: Vec<Stmt>,
    blocks: BTreeMap<String, Block>,
    open: Option<OpenBlock>,
    /// (identity, shown name) of the files being read, outermost first.
    stack: Vec<(PathBuf, Arc<Path>)>,
}

fn identity(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Loader {
    fn push(&mut self, s: Stmt) {
        match &mut self.open {
            Some(b) => b.stmts.push(s),
            None => self.main.push(s),
        }
    }

    fn file(&mut self, shown: Arc<Path>, text: &str) -> Result<(), ScriptError> {
        self.stack.push((identity(&shown), shown.clone()));
        let depth = self.stack.len();
        for l in logical_lines(&shown, text)? {
            match parse_line(&l)? {
                LineKind::Stmt(s) => self.push(s),
                LineKind::Include { loc, path } => {
                    let dir = shown.parent().unwrap_or(Path::new(""));
                    let inc: Arc<Path> = Arc::from(dir.join(&path));
                    let id = identity(&inc);
                    if self.stack.iter().any(|(p, _)| *p == id) {
                        let mut chain: Vec<String> = self
                            .stack
                            .iter()
                            .skip_while(|(p, _)| *p != id)
                            .map(|(_, s)| s.display().to_string())
                            .collect();
                        chain.push(inc.display().to_string());
                        return Err(ScriptError::IncludeCycle {
                            loc,
                            chain: chain.join(" -> "),
                        });
                    }
                    let text = crate::input::read_text(&inc, crate::input::TEXT_MAX).map_err(
                        |source| ScriptError::Include {
                            loc,
                            path: inc.to_path_buf(),
                            source,
                        },
                    )?;
                    self.file(inc, &text)?;
                }
                LineKind::Block { loc, name } => {
                    if let Some(b) = &self.open {
                        return Err(perr(
                            loc,
                            format!(
                                "`end` of block '{}' (opened at {}) before another block: blocks do not nest",
                                b.name, b.loc
                            ),
                            format!("`block {name}`"),
                        ));
                    }
                    if let Some(b) = self.blocks.get(&name) {
                        return Err(perr(
                            loc,
                            "a new block name",
                            format!("'{name}', already defined at {}", b.loc),
                        ));
                    }
                    self.open = Some(OpenBlock {
                        name,
                        loc,
                        depth,
                        stmts: Vec::new(),
                    });
                }
                LineKind::End { loc } => match self.open.take() {
                    Some(b) if b.depth == depth => {
                        self.blocks.insert(
                            b.name,
                            Block {
                                loc: b.loc,
                                stmts: b.stmts,
                            },
                        );
                    }
                    Some(b) => {
                        return Err(perr(
                            loc,
                            format!(
                                "`end` of block '{}' in the file that opened it ({})",
                                b.name, b.loc
                            ),
                            "`end` in an included file",
                        ));
                    }
                    None => return Err(perr(loc, "`end` only after `block NAME`", "`end`")),
                },
            }
        }
        if let Some(b) = &self.open
            && b.depth == depth
        {
            return Err(perr(
                b.loc.clone(),
                format!("`end` to close block '{}'", b.name),
                format!("the end of {}", shown.display()),
            ));
        }
        self.stack.pop();
        Ok(())
    }
}

fn calls(stmts: &[Stmt]) -> impl Iterator<Item = (&Loc, &String)> {
    stmts.iter().filter_map(|s| match s {
        Stmt::Call { loc, name } => Some((loc, name)),
        _ => None,
    })
}

fn visit(
    blocks: &BTreeMap<String, Block>,
    name: &str,
    path: &mut Vec<String>,
    done: &mut Vec<String>,
) -> Result<(), ScriptError> {
    if done.iter().any(|d| d == name) {
        return Ok(());
    }
    let Some(b) = blocks.get(name) else {
        return Ok(());
    };
    path.push(name.to_string());
    for (loc, callee) in calls(&b.stmts) {
        if path.iter().any(|p| p == callee) {
            let mut chain: Vec<String> =
                path.iter().skip_while(|p| *p != callee).cloned().collect();
            chain.push(callee.clone());
            return Err(ScriptError::BlockCycle {
                loc: loc.clone(),
                chain: chain.join(" -> "),
            });
        }
        visit(blocks, callee, path, done)?;
    }
    path.pop();
    done.push(name.to_string());
    Ok(())
}

/// Reads a script from text; `shown` names it in messages and anchors relative includes.
pub(crate) fn load_text(shown: &Path, text: &str) -> Result<Script, ScriptError> {
    let mut l = Loader {
        main: Vec::new(),
        blocks: BTreeMap::new(),
        open: None,
        stack: Vec::new(),
    };
    let shown: Arc<Path> = Arc::from(shown);
    l.file(shown.clone(), text)?;
    let script = Script {
        path: shown,
        main: l.main,
        blocks: l.blocks,
    };
    let all = script
        .blocks
        .values()
        .flat_map(|b| calls(&b.stmts))
        .chain(calls(&script.main));
    for (loc, name) in all {
        if !script.blocks.contains_key(name) {
            return Err(script.unknown_block(Some(loc), name));
        }
    }
    let mut done = Vec::new();
    for name in script.blocks.keys() {
        visit(&script.blocks, name, &mut Vec::new(), &mut done)?;
    }
    Ok(script)
}
