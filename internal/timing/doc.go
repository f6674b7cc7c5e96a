// Package timing leaves named marks on the browser's performance timeline
// (performance.mark("braid:" + name)), so a bench or a DevTools recording
// can see where a page load or a torrent start spends its time. Natively
// Mark does nothing. A mark costs one call into JavaScript: use it for
// phases (a client starting, a torrent's storage opening), never per piece
// or per message.
package timing
