package network

import (
	"bufio"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// fromRoutes is the view without NetworkManager: Online with a default
// route through an interface other than loopback and an address that can
// reach beyond its link; Offline without either. Where the route tables
// cannot be read (not Linux), only the addresses decide.
func (m *Monitor) fromRoutes() Status {
	s := Status{State: Offline, Source: FromRoutes}
	route, err := defaultRoute(m.cfg.ProcNet)
	if err != nil {
		route = true
	}
	ips, err := m.cfg.Addrs()
	if err != nil {
		m.cfg.Logger.Debug("listing addresses", "err", err)
		return Status{State: Online, Source: FromRoutes} // not knowing is not being offline
	}
	if route && usable(ips) {
		s.State = Online
	}
	return s
}

// usable reports whether one of ips can reach beyond its own link.
func usable(ips []net.IP) bool {
	for _, ip := range ips {
		if ip.IsGlobalUnicast() {
			return true
		}
	}
	return false
}

// upAddrs are the addresses of the interfaces that are up, loopback aside.
func upAddrs() ([]net.IP, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ips = append(ips, n.IP)
			}
		}
	}
	return ips, nil
}

// Route flags from linux/route.h.
const (
	rtfUp     = 0x0001
	rtfReject = 0x0200
)

// defaultRoute reports whether /proc/net/route or /proc/net/ipv6_route
// in dir has a default route that is up, not a reject route, and not
// through loopback.
func defaultRoute(dir string) (bool, error) {
	// route: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
	v4, err := scanRoutes(filepath.Join(dir, "route"), func(f []string) bool {
		return len(f) >= 8 && f[1] == "00000000" && f[7] == "00000000" && routeUp(f[3], f[0])
	})
	if err != nil || v4 {
		return v4, err
	}
	// ipv6_route: dest dest_len src src_len next_hop metric refcnt use flags iface
	v6, err := scanRoutes(filepath.Join(dir, "ipv6_route"), func(f []string) bool {
		return len(f) >= 10 && strings.Trim(f[0], "0") == "" && f[1] == "00" && routeUp(f[8], f[9])
	})
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // IPv6 is turned off
	}
	return v6, err
}

func routeUp(hexFlags, iface string) bool {
	flags, err := strconv.ParseUint(hexFlags, 16, 32)
	return err == nil && flags&rtfUp != 0 && flags&rtfReject == 0 && iface != "lo"
}

// scanRoutes reports whether a line of the table in file matches.
func scanRoutes(file string, match func(fields []string) bool) (found bool, err error) {
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if match(strings.Fields(sc.Text())) {
			return true, nil
		}
	}
	return false, sc.Err()
}
