//! `gantry printer-tokens`: mints one agent token per printer (all printers, or the ones named)
//! and writes them one per line, ready for `gantry agent --tokens-file`. The secrets are shown
//! this once; the database keeps only their hashes.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use gantry_app::Db;

use crate::auth::OsSecrets;

/// One minted token.
#[derive(Debug, Clone)]
pub struct MintedToken {
    pub printer_id: i64,
    pub printer: String,
    pub token: String,
}

/// Mints a token for each printer named in `names` (in that order), or for every printer (by
/// name) when `names` is empty. An unknown name fails before anything is written.
pub async fn mint(db: &Db, names: &[String]) -> anyhow::Result<Vec<MintedToken>> {
    let minted = gantry_app::auth::mint_printer_tokens(db, &OsSecrets, gantry_app::now(), names).await?;
    Ok(minted
        .into_iter()
        .map(|(p, m)| MintedToken {
            printer_id: p.id.0,
            printer: p.name,
            token: m.token,
        })
        .collect())
}

/// The tokens file: one token per line, each followed by a comment naming its printer.
pub fn render(tokens: &[MintedToken]) -> String {
    tokens
        .iter()
        .map(|t| format!("{} # printer {} {}\n", t.token, t.printer_id, t.printer))
        .collect()
}

/// Creates the (new) tokens file, readable by its owner only, before any token is minted, so a
/// path that cannot be written costs no tokens.
pub fn create_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

/// Writes the tokens into a file from [`create_file`].
pub fn write_file(mut file: std::fs::File, path: &Path, tokens: &[MintedToken]) -> anyhow::Result<()> {
    file.write_all(render(tokens).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
