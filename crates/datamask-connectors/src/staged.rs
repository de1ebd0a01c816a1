//! Staged files: write beside the target, rename into place on commit.
//!
//! A rename within one directory is atomic, so a reader of the target sees either the old file
//! or the complete new one. A run killed before commit leaves only `.NAME.datamask-tmp`, which
//! the next run overwrites; a sink dropped without commit removes its temporary files.

use datamask_core::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// One file being written to a temporary name.
#[derive(Debug)]
pub(crate) struct StagedFile {
    pub(crate) target: PathBuf,
    temp: PathBuf,
    /// Set by the table writer once the file is complete.
    pub(crate) finished: bool,
    published: bool,
}

impl StagedFile {
    /// Creates (or truncates) the temporary file for `target`.
    pub(crate) fn create(target: &Path) -> Result<(StagedFile, File)> {
        let temp = temp_path(target);
        let file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        Ok((
            StagedFile {
                target: target.to_path_buf(),
                temp,
                finished: false,
                published: false,
            },
            file,
        ))
    }

    /// Renames the temporary file onto the target.
    pub(crate) fn publish(&mut self) -> Result<()> {
        if !self.finished {
            return Err(Error::Internal(format!(
                "{}: published before its writer finished",
                self.target.display()
            )));
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.published = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// `dir/.NAME.datamask-tmp` for `dir/NAME`.
pub(crate) fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.datamask-tmp"))
}

/// Flushes and syncs a finished file so the rename publishes complete data.
pub(crate) fn sync(file: &File, path: &Path) -> Result<()> {
    file.sync_all().map_err(|e| Error::io(path, e))
}
