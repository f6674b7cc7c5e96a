//go:build !js

// Package portmap asks the local network's gateway to forward Braid's
// listening ports, so peers outside a home router can connect in: UPnP
// IGD (most home routers) and NAT-PMP (Apple's, and miniupnpd's second
// protocol). Mappings are leased, renewed at half their lease, and
// removed when the Mapper closes. Every network wait is bounded.
package portmap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Port is one listening port to forward; the external port asked for is
// the same number, so what Braid announces stays right.
type Port struct {
	Protocol string // "TCP" or "UDP"
	Port     int
}

// Gateway is a device that forwards ports.
type Gateway interface {
	// Name says which protocol and device, for logs and stats.
	Name() string
	// Map forwards external port p.Port to the same port here for lease.
	Map(ctx context.Context, p Port, lease time.Duration) error
	// Unmap removes that forward.
	Unmap(ctx context.Context, p Port) error
	// ExternalIP is the gateway's address on the outside.
	ExternalIP(ctx context.Context) (net.IP, error)
}

// Config describes what to forward.
type Config struct {
	Ports []Port
	// Lease asks for mappings this long (default 1 h), renewed at half.
	Lease time.Duration
	// Discover finds gateways (default: UPnP by SSDP, then NAT-PMP at the
	// default route's gateway). Tests point it at fakes on loopback.
	Discover func(ctx context.Context) []Gateway
	Logger   *slog.Logger
}

// Status is what the Mapper achieved so far.
type Status struct {
	Gateway    string // "" while none answered
	ExternalIP net.IP
	Mapped     []Port
	Err        error // the last failure, if any
}

const (
	discoverTimeout = 5 * time.Second
	callTimeout     = 5 * time.Second
	retryWait       = 5 * time.Minute // after finding no gateway, or a failed renewal
	defaultLease    = time.Hour
)

// Mapper keeps the ports forwarded until Close.
type Mapper struct {
	cfg    Config
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	status Status
	gw     Gateway
}

// Start begins mapping in the background.
func Start(cfg Config) *Mapper {
	if cfg.Lease <= 0 {
		cfg.Lease = defaultLease
	}
	if cfg.Discover == nil {
		cfg.Discover = discover
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mapper{cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go m.run(ctx)
	return m
}

// Status reports the current mappings.
func (m *Mapper) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.status
	s.Mapped = append([]Port(nil), s.Mapped...)
	return s
}

// Close stops renewing and removes the mappings (bounded in time).
func (m *Mapper) Close() {
	m.cancel()
	<-m.done
	m.mu.Lock()
	gw, mapped := m.gw, m.status.Mapped
	m.status.Mapped = nil
	m.mu.Unlock()
	if gw == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, p := range mapped {
		if err := gw.Unmap(ctx, p); err != nil {
			m.cfg.Logger.Debug("port mapping: remove", "gateway", gw.Name(), "port", p.Port, "proto", p.Protocol, "err", err)
		}
	}
}

func (m *Mapper) run(ctx context.Context) {
	defer close(m.done)
	for {
		wait := retryWait
		if err := m.mapAll(ctx); err != nil {
			m.setErr(err)
			m.cfg.Logger.Debug("port mapping", "err", err)
		} else {
			wait = m.cfg.Lease / 2
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

var errNoGateway = errors.New("portmap: no gateway answered")

// mapAll (re)maps every port on the gateway that worked last, or on the
// first discovered gateway that maps them all.
func (m *Mapper) mapAll(ctx context.Context) error {
	m.mu.Lock()
	gw := m.gw
	m.mu.Unlock()
	if gw != nil {
		if err := m.mapOn(ctx, gw); err == nil {
			return nil
		}
		// The router rebooted or changed: look again.
	}
	dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	gws := m.cfg.Discover(dctx)
	cancel()
	var errs []error
	for _, gw := range gws {
		err := m.mapOn(ctx, gw)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return errNoGateway
	}
	return errors.Join(errs...)
}

// mapOn maps every port on gw and records the result.
func (m *Mapper) mapOn(ctx context.Context, gw Gateway) error {
	var mapped []Port
	for _, p := range m.cfg.Ports {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := gw.Map(cctx, p, m.cfg.Lease)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: map %s %d: %w", gw.Name(), p.Protocol, p.Port, err)
		}
		mapped = append(mapped, p)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	ip, err := gw.ExternalIP(cctx)
	cancel()
	if err != nil {
		ip = nil // the mappings stand; only the address is unknown
	}
	m.mu.Lock()
	first := m.gw != gw
	m.gw = gw
	m.status = Status{Gateway: gw.Name(), ExternalIP: ip, Mapped: mapped}
	m.mu.Unlock()
	if first {
		m.cfg.Logger.Info("port mapping", "gateway", gw.Name(), "external_ip", ip, "ports", mapped)
	}
	return nil
}

func (m *Mapper) setErr(err error) {
	m.mu.Lock()
	m.status.Err = err
	m.mu.Unlock()
}

// Wanted reports whether a listener on addr can use a mapping: not when
// it is bound to loopback (nothing outside could reach it anyway).
func Wanted(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
