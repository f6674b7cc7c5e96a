//go:build !js

package portmap

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGateway records calls; fail makes Map fail.
type fakeGateway struct {
	name string
	mu   sync.Mutex
	maps []Port
	gone []Port
	fail bool
}

func (g *fakeGateway) Name() string { return g.name }
func (g *fakeGateway) Map(_ context.Context, p Port, _ time.Duration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail {
		return errors.New("refused")
	}
	g.maps = append(g.maps, p)
	return nil
}
func (g *fakeGateway) Unmap(_ context.Context, p Port) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gone = append(g.gone, p)
	return nil
}
func (g *fakeGateway) ExternalIP(context.Context) (net.IP, error) {
	return net.IPv4(203, 0, 113, 9), nil
}
func (g *fakeGateway) calls() (maps, gone int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.maps), len(g.gone)
}

var ports = []Port{{"TCP", 6881}, {"UDP", 6881}}

func TestMapperMapsRenewsAndRemoves(t *testing.T) {
	bad := &fakeGateway{name: "bad", fail: true}
	good := &fakeGateway{name: "good"}
	var discovered atomic.Int32
	m := Start(Config{Ports: ports, Lease: 200 * time.Millisecond,
		Discover: func(context.Context) []Gateway { discovered.Add(1); return []Gateway{bad, good} }})
	require.Eventually(t, func() bool { return len(m.Status().Mapped) == 2 }, 5*time.Second, 5*time.Millisecond)
	st := m.Status()
	assert.Equal(t, "good", st.Gateway)
	assert.Equal(t, "203.0.113.9", st.ExternalIP.String())
	assert.NoError(t, st.Err)
	// Renewed at half the lease, on the same gateway without a new search.
	require.Eventually(t, func() bool { n, _ := good.calls(); return n >= 6 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, int32(1), discovered.Load())
	m.Close()
	_, gone := good.calls()
	assert.Equal(t, 2, gone, "mappings not removed on Close")
	assert.Empty(t, m.Status().Mapped)
}

func TestMapperWithoutGatewayReportsIt(t *testing.T) {
	m := Start(Config{Ports: ports, Discover: func(context.Context) []Gateway { return nil }})
	require.Eventually(t, func() bool { return m.Status().Err != nil }, 5*time.Second, 5*time.Millisecond)
	assert.ErrorIs(t, m.Status().Err, errNoGateway)
	done := make(chan struct{})
	go func() { m.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the retry timer")
	}
}

func TestWanted(t *testing.T) {
	for addr, want := range map[string]bool{
		":6881": true, "0.0.0.0:6881": true, "192.168.1.5:6881": true, "[::]:6881": true,
		"127.0.0.1:6881": false, "[::1]:0": false, "localhost:1": true, "nonsense": false,
	} {
		assert.Equal(t, want, Wanted(addr), addr)
	}
}

// fakeIGD is a UPnP Internet Gateway Device on loopback: its description
// and the SOAP actions Braid uses.
type fakeIGD struct {
	srv     *httptest.Server
	mu      sync.Mutex
	actions []string // "AddPortMapping TCP 6881 -> 127.0.0.1:6881 lease 3600"
}

const igdDescription = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><UDN>uuid:igd</UDN>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><UDN>uuid:wan</UDN>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><UDN>uuid:conn</UDN>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl</controlURL>
<eventSubURL>/evt</eventSubURL><SCPDURL>/scpd.xml</SCPDURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>`

var soapArg = regexp.MustCompile(`<(New[A-Za-z]+)>([^<]*)</New[A-Za-z]+>`)

func startIGD(t *testing.T) *fakeIGD {
	g := &fakeIGD{}
	mux := http.NewServeMux()
	mux.HandleFunc("/desc.xml", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, igdDescription) })
	mux.HandleFunc("/ctl", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		action := regexp.MustCompile(`#(\w+)"?$`).FindStringSubmatch(r.Header.Get("SOAPAction"))
		if action == nil {
			http.Error(w, "no action", http.StatusBadRequest)
			return
		}
		args := map[string]string{}
		for _, m := range soapArg.FindAllStringSubmatch(string(body), -1) {
			args[m[1]] = m[2]
		}
		out := ""
		switch action[1] {
		case "AddPortMapping":
			g.record(fmt.Sprintf("AddPortMapping %s %s -> %s:%s lease %s", args["NewProtocol"], args["NewExternalPort"],
				args["NewInternalClient"], args["NewInternalPort"], args["NewLeaseDuration"]))
		case "DeletePortMapping":
			g.record(fmt.Sprintf("DeletePortMapping %s %s", args["NewProtocol"], args["NewExternalPort"]))
		case "GetExternalIPAddress":
			out = "<NewExternalIPAddress>198.51.100.4</NewExternalIPAddress>"
		}
		w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
		fmt.Fprintf(w, `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" `+
			`s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>`+
			`<u:%sResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">%s</u:%sResponse></s:Body></s:Envelope>`,
			action[1], out, action[1])
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeIGD) record(s string) {
	g.mu.Lock()
	g.actions = append(g.actions, s)
	g.mu.Unlock()
}

func (g *fakeIGD) seen() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.actions...)
}

func TestUPnPGateway(t *testing.T) {
	igd := startIGD(t)
	gws, err := UPnPAt(context.Background(), igd.srv.URL+"/desc.xml")
	require.NoError(t, err)
	require.Len(t, gws, 1)
	m := Start(Config{Ports: ports, Lease: time.Hour, Discover: func(context.Context) []Gateway { return gws }})
	require.Eventually(t, func() bool { return len(m.Status().Mapped) == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, "198.51.100.4", m.Status().ExternalIP.String())
	m.Close()
	assert.Equal(t, []string{
		"AddPortMapping TCP 6881 -> 127.0.0.1:6881 lease 3600",
		"AddPortMapping UDP 6881 -> 127.0.0.1:6881 lease 3600",
		"DeletePortMapping TCP 6881",
		"DeletePortMapping UDP 6881",
	}, igd.seen())
}

// A NAT-PMP gateway on 127.0.0.1:5351 (the protocol's fixed port).
func TestNATPMPGateway(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:5351")
	require.NoError(t, err, "the NAT-PMP port 5351 on loopback must be free for this test")
	t.Cleanup(func() { pc.Close() })
	var mu sync.Mutex
	var got []string
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := buf[:n]
			if n < 2 || req[0] != 0 {
				continue
			}
			resp := []byte{0, 128 + req[1], 0, 0, 0, 0, 0, 1}
			switch {
			case req[1] == 0 && n == 2:
				resp = append(resp, 192, 0, 2, 33)
			case (req[1] == 1 || req[1] == 2) && n == 12:
				proto := map[byte]string{1: "udp", 2: "tcp"}[req[1]]
				internal, external := binary.BigEndian.Uint16(req[4:]), binary.BigEndian.Uint16(req[6:])
				life := binary.BigEndian.Uint32(req[8:])
				mu.Lock()
				got = append(got, fmt.Sprintf("%s %d->%d life %d", proto, external, internal, life))
				mu.Unlock()
				resp = append(resp, req[4:12]...)
			default:
				continue
			}
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	gw := NATPMP(net.IPv4(127, 0, 0, 1))
	m := Start(Config{Ports: ports, Lease: time.Hour, Discover: func(context.Context) []Gateway { return []Gateway{gw} }})
	require.Eventually(t, func() bool { return len(m.Status().Mapped) == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, "192.0.2.33", m.Status().ExternalIP.String())
	m.Close()
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"tcp 6881->6881 life 3600", "udp 6881->6881 life 3600",
		"tcp 0->6881 life 0", "udp 0->6881 life 0"}, got)
}
