package peers

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// FuzzHostOf checks HostOf on any address against net/url and net (see
// referenceHostOf), and that a uTP scheme never changes the host.
func FuzzHostOf(f *testing.F) {
	for _, s := range []string{
		"1.2.3.4:6881", "[2001:db8::1]:6881", "[fe80::1%eth0]:1", "utp://10.0.0.1:6881",
		"ws://u@h.example:80/p?q#f", "wss://[::1]:443/", "ws://h:x/", "host:80", "webrtc:00ff", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got := HostOf(addr)
		if referenceAgrees(addr) {
			if want := referenceHostOf(addr); got != want {
				t.Fatalf("HostOf(%q) = %q, net/url and net say %q", addr, got, want)
			}
		}
		if trimUTP(addr) == addr {
			if u := HostOf("utp://" + addr); u != got {
				t.Fatalf("HostOf(utp://%q) = %q, without the scheme %q", addr, u, got)
			}
		}
	})
}

// fuzzAddrs are the addresses FuzzBook picks from: hosts shared between
// ports and schemes, so bans and duplicates meet.
var fuzzAddrs = []string{
	"10.0.0.1:6881", "10.0.0.1:6882", "utp://10.0.0.1:6883", "[::ffff:10.0.0.2]:6881",
	"10.0.0.2:6881", "ws://10.0.0.3:80/", "webrtc:0a0b", "[2001:db8::1]:6881",
}

// Fuzz ops: each is [op][arg].
const (
	fuzzAdd = iota
	fuzzAddRaw
	fuzzBan
	fuzzDials
	fuzzDialFailed
	fuzzConnected
	fuzzClosed
	fuzzTick
	fuzzListenPort
	fuzzHalt
	fuzzSetSelf
	fuzzPunch
	fuzzOps
)

// FuzzBook drives a book with any sequence of calls and checks, after
// each, that its counts match what the calls imply, that Dials never
// exceeds its room or returns a banned, connected or repeated address,
// that verdicts only replace open connections, and that a second book fed
// the same calls answers the same.
func FuzzBook(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{fuzzAdd, 0, fuzzAdd, 9, fuzzDials, 5, fuzzConnected, 0, fuzzClosed, 0, fuzzTick, 2, fuzzDials, 3})
	f.Add([]byte{fuzzAdd, 0, fuzzAdd, 1, fuzzDials, 5, fuzzDialFailed, 0, fuzzDialFailed, 0x80, fuzzBan, 0, fuzzDials, 4})
	f.Add([]byte{fuzzConnected, 0x41, fuzzConnected, 0x52, fuzzConnected, 0x63, fuzzClosed, 1, fuzzHalt, 255, fuzzDials, 7})
	f.Add([]byte{fuzzAdd, 0, fuzzDials, 3, fuzzPunch, 0, fuzzDialFailed, 0, fuzzPunch, 0, fuzzPunch, 0, fuzzConnected, 4, fuzzPunch, 1})
	f.Add([]byte{fuzzSetSelf, 1, fuzzConnected, 0x00, fuzzConnected, 0x11, fuzzConnected, 0x22, fuzzConnected, 0x35, fuzzConnected, 0x07, fuzzSetSelf, 3, fuzzConnected, 0x17})
	f.Add([]byte{fuzzAddRaw, 3, 'a', ':', '1', fuzzListenPort, 2, 0x1a, 0xe1, fuzzDials, 6})
	f.Fuzz(func(t *testing.T, data []byte) {
		first := runBook(t, data)
		if second := runBook(t, data); !slices.Equal(first, second) {
			t.Fatalf("two books fed the same calls differ:\n%v\n%v", first, second)
		}
	})
}

// runBook plays data on a fresh book, checking invariants, and returns
// the trace of its answers.
func runBook(t *testing.T, data []byte) []string {
	const maxPeers, maxCands = 4, 5
	b := New(Config{Self: self, MaxPeers: maxPeers, MaxCandidates: maxCands})
	now := t0
	var (
		trace    []string
		inFlight []string // dials handed out, not reported
		open     []ConnID // accepted connections
		addrOf   = map[ConnID]string{}
		named    = map[string]bool{}
		nextID   ConnID
	)
	next := func() (byte, bool) {
		if len(data) == 0 {
			return 0, false
		}
		c := data[0]
		data = data[1:]
		return c, true
	}
	for len(data) >= 2 {
		op, _ := next()
		arg, _ := next()
		addr := fuzzAddrs[arg%byte(len(fuzzAddrs))]
		switch op % fuzzOps {
		case fuzzAdd:
			src := Source(1 + (arg>>3)%5)
			ok := b.Add(addr, src, now)
			if src == FromUser {
				named[addr] = true
			}
			trace = append(trace, fmt.Sprint("add ", addr, ok))
		case fuzzAddRaw:
			n := min(int(arg), len(data))
			raw := string(data[:n])
			data = data[n:]
			trace = append(trace, fmt.Sprint("add raw ", b.Add(raw, FromPEX, now)))
		case fuzzBan:
			b.Ban(HostOf(addr))
			for a := range named {
				if HostOf(a) == HostOf(addr) {
					delete(named, a) // forgotten, named or not
				}
			}
		case fuzzDials:
			room := int(arg % 8)
			d := b.Dials(now, room)
			if len(d) > room {
				t.Fatalf("Dials(%d) gave %d", room, len(d))
			}
			seen := map[string]bool{}
			for _, a := range d {
				if seen[a] || b.Banned(HostOf(a)) {
					t.Fatalf("Dials gave %q twice or banned: %v", a, d)
				}
				seen[a] = true
				for _, id := range open {
					if addrOf[id] == a {
						t.Fatalf("Dials gave %q, connected as %d", a, id)
					}
				}
			}
			inFlight = append(inFlight, d...)
			if len(d) > 0 && b.NumConns()+b.NumDialing() > maxPeers {
				t.Fatalf("%d connections and %d dials exceed %d", b.NumConns(), b.NumDialing(), maxPeers)
			}
			trace = append(trace, fmt.Sprint("dials ", d))
		case fuzzDialFailed:
			if len(inFlight) == 0 {
				continue
			}
			i := int(arg&0x7f) % len(inFlight)
			a := inFlight[i]
			inFlight = slices.Delete(inFlight, i, i+1)
			b.DialFailed(a, Failure(arg>>7), now)
			if Failure(arg>>7) == DialSelf {
				delete(named, a)
			}
		case fuzzConnected:
			nextID++
			c := Conn{ID: nextID, Addr: addr, PeerID: [20]byte{byte(arg>>4) % 4}, Initiator: arg&8 != 0}
			if len(inFlight) > 0 && arg&4 != 0 {
				i := int(arg) % len(inFlight)
				c.Addr, c.Outgoing, c.Initiator = inFlight[i], true, true
				inFlight = slices.Delete(inFlight, i, i+1)
			}
			v := b.Connected(c, int(arg%3), now)
			if v.Accept == (v.Reason != nil) || (v.Replaces && !v.Accept) {
				t.Fatalf("inconsistent verdict %+v", v)
			}
			if v.Evicts && !v.Replaces {
				t.Fatalf("evicts without replacing: %+v", v)
			}
			if v.Replaces {
				i := slices.Index(open, v.Old)
				if i < 0 {
					t.Fatalf("replaces %d, not open: %v", v.Old, open)
				}
				open = slices.Delete(open, i, i+1)
			}
			if v.Accept {
				open = append(open, c.ID)
				addrOf[c.ID] = c.Addr
			}
			trace = append(trace, fmt.Sprintf("connected %+v", v))
		case fuzzClosed:
			if len(open) == 0 {
				continue
			}
			i := int(arg&0x7f) % len(open)
			id := open[i]
			open = slices.Delete(open, i, i+1)
			b.Closed(id, End(arg>>7), now)
		case fuzzTick:
			now = now.Add(time.Duration(arg) * 7 * time.Second)
		case fuzzListenPort:
			if len(data) < 2 {
				continue
			}
			port := int(binary.BigEndian.Uint16(data)) - int(arg&1)
			data = data[2:]
			trace = append(trace, fmt.Sprint("listen ", b.AddListenPort(addr, port, now)))
		case fuzzHalt:
			if arg == 255 {
				b.Halt()
			}
		case fuzzPunch:
			a := "utp://" + trimUTP(addr)
			ok := b.Punch(a, now)
			if ok {
				inFlight = append(inFlight, a)
			}
			trace = append(trace, fmt.Sprint("punch ", a, ok))
		case fuzzSetSelf:
			// Our address: one of the book's own hosts or another; 0 unsets.
			selves := []string{"", "10.0.0.9:6881", "10.0.0.1:6881", "[2001:db8::9]:6881", "10.7.0.1:1"}
			ap, _ := netip.ParseAddrPort(selves[int(arg)%len(selves)])
			b.SetSelf(ap)
		}
		if b.NumDialing() != len(inFlight) || b.NumConns() != len(open) {
			t.Fatalf("book counts %d dials, %d conns; calls imply %d, %d", b.NumDialing(), b.NumConns(), len(inFlight), len(open))
		}
		if b.NumConns() > maxPeers {
			t.Fatalf("%d connections exceed %d", b.NumConns(), maxPeers)
		}
		if b.NumCandidates() > maxCands+len(named) {
			t.Fatalf("%d candidates exceed %d", b.NumCandidates(), maxCands+len(named))
		}
		for a := range named {
			if c, ok := b.Candidate(a); ok && !c.Named {
				t.Fatalf("%q was named, is not", a)
			}
		}
	}
	return trace
}
