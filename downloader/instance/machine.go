package instance

import (
	"path/filepath"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/network"
)

// Machine is cfg with the machine's own view of the network (a
// network.Monitor, which the engine runs with itself) and systemd-logind's
// sleep inhibitor, held while a download runs, logging to the state
// folder's modelfetch.log unless cfg has a Logger: what the window and
// `modelfetch serve` run the engine with.
func Machine(cfg downloader.Config) downloader.Config {
	if cfg.Logger == nil {
		cfg.Logger = Log(filepath.Join(cfg.StateDir, LogName))
	}
	cfg.Network = network.NewMonitor(network.Config{Logger: cfg.Logger})
	cfg.Inhibitor = network.NewInhibitor("", cfg.Logger)
	return cfg
}
