package tracker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// ListenAndServe runs a Server over HTTP (httpAddr) and UDP (udpAddr)
// until ctx ends; an empty address disables that side. ready, if not nil,
// gets the announce URLs once both listeners are open (an unspecified
// listen address is given as 127.0.0.1, for local swarms).
func ListenAndServe(ctx context.Context, httpAddr, udpAddr string, cfg ServerConfig, ready func(httpURL, udpURL string)) error {
	if httpAddr == "" && udpAddr == "" {
		return errors.New("tracker: no HTTP or UDP address to listen on")
	}
	s := NewServer(cfg)
	var (
		ln       net.Listener
		pc       net.PacketConn
		httpURL  string
		udpURL   string
		lc       net.ListenConfig
		err      error
		errc     = make(chan error, 2)
		services int
	)
	if httpAddr != "" {
		ln, err = lc.Listen(ctx, "tcp", httpAddr)
		if err != nil {
			return fmt.Errorf("tracker: listen HTTP: %w", err)
		}
		defer ln.Close()
		httpURL = "http://" + urlHost(ln.Addr()) + "/announce"
	}
	if udpAddr != "" {
		pc, err = lc.ListenPacket(ctx, "udp", udpAddr)
		if err != nil {
			return fmt.Errorf("tracker: listen UDP: %w", err)
		}
		defer pc.Close()
		udpURL = "udp://" + urlHost(pc.LocalAddr()) + "/announce"
	}
	var hs *http.Server
	if ln != nil {
		hs = &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      15 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    16 << 10,
		}
		hs.RegisterOnShutdown(s.CloseWebSockets)
		services++
		go func() {
			err := hs.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			errc <- err
		}()
	}
	if pc != nil {
		services++
		go func() { errc <- s.ServeUDP(pc) }()
	}
	if ready != nil {
		ready(httpURL, udpURL)
	}
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
		services--
		if first != nil {
			first = fmt.Errorf("tracker: %w", first)
		}
	}
	if hs != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = hs.Shutdown(sctx)
		cancel()
	}
	if pc != nil {
		pc.Close()
	}
	for ; services > 0; services-- {
		<-errc
	}
	return first
}

// urlHost renders a listener address for an announce URL, replacing an
// unspecified IP with 127.0.0.1.
func urlHost(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	ip := ap.Addr().Unmap()
	if ip.IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.AddrPortFrom(ip, ap.Port()).String()
}
