// Package core holds Braid's protocol brain, pure and deterministic: the
// subpackages parse, decide and account, but never touch sockets, files,
// clocks or goroutines. Time and randomness are passed in. That is what lets
// the same code run natively and in the browser (js/wasm), and lets a unit
// test simulate a whole swarm in memory.
//
// purity_test.go enforces it.
package core
