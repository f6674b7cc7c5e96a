// Package persist keeps what must outlive a Braid process: the torrent's bytes
// (Storage: files on disk, memory for tests) and the resume record of each
// torrent (StateStore). Shared, pure parts build everywhere; the file-based
// parts are native-only, and the browser build supplies IndexedDB instead.
package persist
