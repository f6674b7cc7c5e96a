package engine

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// readCounting counts the reads a connection is asked for.
type readCounting struct {
	net.Conn
	reads atomic.Int32
}

func (c *readCounting) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Conn.Read(p)
}

// Messages that arrive together are read together: 40 have messages and
// two blocks sent in one write cost a few reads, not two per message, and
// each reaches the loop whole and in order.
func TestReadLoopReadsThroughABuffer(t *testing.T) {
	tor := bareTorrent(t, 1)
	ours, theirs := net.Pipe()
	defer theirs.Close()
	conn := &readCounting{Conn: ours}
	p := &peerConn{t: tor, conn: conn, addr: "10.0.0.1:1", closed: make(chan struct{})}
	go p.readLoop()

	var stream []byte
	for i := range 40 {
		stream = wire.AppendMessage(stream, &wire.Message{Type: wire.Have, Index: uint32(i)})
	}
	block := make([]byte, wire.BlockSize)
	for i := range block {
		block[i] = byte(i)
	}
	for i := range 2 {
		stream = wire.AppendMessage(stream, &wire.Message{Type: wire.Piece, Index: 7, Begin: uint32(i * wire.BlockSize), Block: block})
	}
	go func() { _, _ = theirs.Write(stream) }()

	for i := range 42 {
		select {
		case ev := <-tor.events:
			m := ev.(evMessage).msg
			if i < 40 {
				require.Equal(t, wire.Have, m.Type)
				require.EqualValues(t, i, m.Index)
			} else {
				require.Equal(t, wire.Piece, m.Type)
				require.EqualValues(t, (i-40)*wire.BlockSize, m.Begin)
				require.Equal(t, block, m.Block)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d never reached the loop", i)
		}
	}
	// One read for the haves and the first bytes, a few for the two
	// blocks (net.Pipe hands over at most what one read asks for), and
	// the read now waiting for more.
	require.LessOrEqual(t, conn.reads.Load(), int32(5), "reads for 42 messages")
}
