//go:build !linux

package persist

// createNoFollow is zero where Braid does not rely on how an open refuses
// a symlink: every create looks at its path first.
const createNoFollow = 0
