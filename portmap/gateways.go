//go:build !js

package portmap

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/jackpal/gateway"
	natpmp "github.com/jackpal/go-nat-pmp"
)

// description names Braid's mappings in the router's table.
const description = "Braid BitTorrent"

// discover finds UPnP gateways by SSDP and, failing those, a NAT-PMP
// gateway at the default route's next hop.
func discover(ctx context.Context) []Gateway {
	gws := discoverUPnP(ctx)
	// A default route without a next hop (a lone loopback, say) has no
	// gateway to ask.
	if ip, err := gateway.DiscoverGateway(); err == nil && ip.To4() != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		gws = append(gws, NATPMP(ip))
	}
	return gws
}

// upnpClient is what the WANIPConnection and WANPPPConnection services
// have in common.
type upnpClient interface {
	AddPortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string,
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32) error
	DeletePortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string) error
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	GetServiceClient() *goupnp.ServiceClient
}

func discoverUPnP(ctx context.Context) []Gateway {
	var out []Gateway
	add := func(c upnpClient) { out = append(out, &upnpGateway{c: c}) }
	// Newer services first: a router may offer several.
	if cs, _, err := internetgateway2.NewWANIPConnection2ClientsCtx(ctx); err == nil {
		for _, c := range cs {
			add(c)
		}
	}
	if cs, _, err := internetgateway2.NewWANIPConnection1ClientsCtx(ctx); err == nil {
		for _, c := range cs {
			add(c)
		}
	}
	if cs, _, err := internetgateway2.NewWANPPPConnection1ClientsCtx(ctx); err == nil {
		for _, c := range cs {
			add(c)
		}
	}
	return out
}

// UPnPAt is the UPnP gateway whose device description is at loc (no SSDP
// search): for a known router, and for tests.
func UPnPAt(ctx context.Context, loc string) ([]Gateway, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("portmap: %w", err)
	}
	var out []Gateway
	cs, err := internetgateway2.NewWANIPConnection1ClientsByURLCtx(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("portmap: UPnP device at %s: %w", loc, err)
	}
	for _, c := range cs {
		out = append(out, &upnpGateway{c: c})
	}
	return out, nil
}

type upnpGateway struct {
	c     upnpClient
	local string // our address as the router sees it
}

func (g *upnpGateway) Name() string {
	sc := g.c.GetServiceClient()
	return "UPnP " + sc.Location.Host
}

// localIP is the address of ours the router reaches us on: the one a
// socket towards it would use (a UDP "connection" sends nothing).
func (g *upnpGateway) localIP() (string, error) {
	if g.local != "" {
		return g.local, nil
	}
	sc := g.c.GetServiceClient()
	if ip := sc.LocalAddr(); ip != nil {
		g.local = ip.String()
		return g.local, nil
	}
	host := sc.Location.Hostname()
	c, err := net.Dial("udp", net.JoinHostPort(host, "1900"))
	if err != nil {
		return "", fmt.Errorf("local address towards %s: %w", host, err)
	}
	defer c.Close()
	g.local = c.LocalAddr().(*net.UDPAddr).IP.String()
	return g.local, nil
}

func (g *upnpGateway) Map(ctx context.Context, p Port, lease time.Duration) error {
	local, err := g.localIP()
	if err != nil {
		return err
	}
	add := func(seconds uint32) error {
		return g.c.AddPortMappingCtx(ctx, "", uint16(p.Port), strings.ToUpper(p.Protocol), uint16(p.Port),
			local, true, description, seconds)
	}
	err = add(uint32(lease / time.Second))
	if err != nil && strings.Contains(err.Error(), "725") {
		// OnlyPermanentLeasesSupported: some routers take lease 0 only.
		err = add(0)
	}
	return err
}

func (g *upnpGateway) Unmap(ctx context.Context, p Port) error {
	return g.c.DeletePortMappingCtx(ctx, "", uint16(p.Port), strings.ToUpper(p.Protocol))
}

func (g *upnpGateway) ExternalIP(ctx context.Context) (net.IP, error) {
	s, err := g.c.GetExternalIPAddressCtx(ctx)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("portmap: external address %q", s)
	}
	return ip, nil
}

// NATPMP is the NAT-PMP (RFC 6886) gateway at ip, port 5351.
func NATPMP(ip net.IP) Gateway {
	return &natpmpGateway{ip: ip, c: natpmp.NewClientWithTimeout(ip, 2*time.Second)}
}

type natpmpGateway struct {
	ip net.IP
	c  *natpmp.Client
}

func (g *natpmpGateway) Name() string { return "NAT-PMP " + g.ip.String() }

func (g *natpmpGateway) Map(_ context.Context, p Port, lease time.Duration) error {
	r, err := g.c.AddPortMapping(strings.ToLower(p.Protocol), p.Port, p.Port, int(lease/time.Second))
	if err != nil {
		return err
	}
	if int(r.MappedExternalPort) != p.Port {
		// Braid announces its own port number: a different one is useless.
		_, _ = g.c.AddPortMapping(strings.ToLower(p.Protocol), p.Port, 0, 0)
		return fmt.Errorf("gateway offered external port %d instead", r.MappedExternalPort)
	}
	return nil
}

func (g *natpmpGateway) Unmap(_ context.Context, p Port) error {
	// RFC 6886: lifetime 0 (and external port 0) deletes the mapping.
	_, err := g.c.AddPortMapping(strings.ToLower(p.Protocol), p.Port, 0, 0)
	return err
}

func (g *natpmpGateway) ExternalIP(context.Context) (net.IP, error) {
	r, err := g.c.GetExternalAddress()
	if err != nil {
		return nil, err
	}
	return net.IP(r.ExternalIPAddress[:]), nil
}
