// Package fetch sends HTTP GET requests with the browser's fetch API. It
// exists so the js/wasm build of Braid does not link net/http's Transport
// (its dialer, HTTP/2 and TLS stacks, about 0.9 MiB of gzipped wasm), which
// every http.Client.Do call references even though, in the browser, the
// Transport itself ends up calling fetch.
//
// Do is only built for GOOS=js; natively the package holds just its errors,
// so packages can name them on every platform.
package fetch
