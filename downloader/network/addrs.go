package network

import (
	"net"
	"net/netip"
)

// addrStatus is the view from the interfaces alone: Online when one that
// is up, loopback aside, has an address that can reach beyond its link.
// It never says Offline when it is not: not knowing the addresses is
// Online, and so is any routable address (a virtual machine's or a VPN's
// interface too), so that the worst it does is take a machine that lost
// its way out as online; a download then retries and fails, saying the
// server does not answer, instead of waiting.
func (c Config) addrStatus() Status {
	prefixes, err := c.Addrs()
	if err != nil {
		c.Logger.Debug("listing addresses", "err", err)
		return Status{State: Online, Source: FromRoutes}
	}
	for _, p := range prefixes {
		if p.Addr().Unmap().IsGlobalUnicast() { // link-local is not
			return Status{State: Online, Source: FromRoutes}
		}
	}
	return Status{State: Offline, Source: FromRoutes}
}

// onLink reports whether ip is on a network of an interface that is up.
func (c Config) onLink(ip netip.Addr) bool {
	prefixes, err := c.Addrs()
	if err != nil {
		return false
	}
	for _, p := range prefixes {
		if p.Masked().Contains(ip) {
			return true
		}
	}
	return false
}

// upAddrs are the addresses of the interfaces that are up, loopback
// aside, with their networks.
func upAddrs() ([]netip.Prefix, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var prefixes []netip.Prefix
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if !ok {
				continue
			}
			// An IPv4 address may come in 16 bytes with a 4-byte mask, or
			// with a 16-byte one: count the mask's bits from the address's.
			ones, size := n.Mask.Size()
			ip = ip.Unmap()
			prefixes = append(prefixes, netip.PrefixFrom(ip, ones-(size-ip.BitLen())))
		}
	}
	return prefixes, nil
}
