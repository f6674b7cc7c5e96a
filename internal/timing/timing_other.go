//go:build !(js && wasm)

package timing

// Mark does nothing outside the browser.
func Mark(string) {}
