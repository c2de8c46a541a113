package instance

import (
	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/network"
)

// Machine is cfg with the machine's own view of the network (a
// network.Monitor, which the engine runs with itself) and systemd-logind's
// sleep inhibitor, held while a download runs: what the window and
// `modelfetch serve` run the engine with.
func Machine(cfg downloader.Config) downloader.Config {
	cfg.Network = network.NewMonitor(network.Config{})
	cfg.Inhibitor = network.NewInhibitor("", cfg.Logger)
	return cfg
}
