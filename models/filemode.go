package models

import (
	"io/fs"
	"os"
)

// The modes of the files and folders sluice creates. The SQLite database,
// its lock files and the reject files hold whole data rows: the owner
// writes them, its group (the web app's, say) may read them, others
// nothing. The process's umask may take more away, never add.
const (
	PrivateFileMode fs.FileMode = 0o640
	PrivateDirMode  fs.FileMode = 0o750
)

// createPrivate creates an empty file at path with PrivateFileMode unless
// it exists. An empty file is an empty SQLite database, and SQLite gives
// its -wal, -shm and -journal files the database file's mode, so creating
// it here keeps them all private whatever the driver's default (0644).
// Other errors are left for the driver to report, with its hint.
func createPrivate(path string) {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, PrivateFileMode); err == nil {
		f.Close()
	}
}
