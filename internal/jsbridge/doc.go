// Package jsbridge holds the few conversions Braid's browser build needs
// between Go and JavaScript: waiting for a promise and copying bytes into a
// Uint8Array. It builds only for js/wasm.
package jsbridge
