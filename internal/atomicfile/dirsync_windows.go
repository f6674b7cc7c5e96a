package atomicfile

// SyncDir is a no-op: Windows cannot fsync a directory, and NTFS journals
// renames itself.
func SyncDir(string) error { return nil }
