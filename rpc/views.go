package rpc

import "sync"

// viewWorkers bounds the goroutines that build one torrent-get answer.
const viewWorkers = 8

// viewsPerWorker is the fewest torrents worth a goroutine of their own.
const viewsPerWorker = 64

// eachView calls f with the view of every entry (f(i, v) for es[i]). A
// running torrent's figures take a round trip into its loop, which waits
// for the loop's turn: many torrents are viewed by a few goroutines at
// once, so those waits overlap. f must only write what belongs to i.
func (s *Server) eachView(es []entry, f func(i int, v *view)) {
	workers := min(viewWorkers, len(es)/viewsPerWorker)
	if workers <= 1 {
		for i, e := range es {
			f(i, &view{s: s, e: e, t: s.active(e)})
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(es); i += workers {
				f(i, &view{s: s, e: es[i], t: s.active(es[i])})
			}
		})
	}
	wg.Wait()
}
