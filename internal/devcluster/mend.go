package devcluster

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Mend works around kfake's known defects on c, as connect dev and the
// test helpers run it: a Janitor for members that died while joining a
// classic group, and an EpochFix for consumers validating their position
// after a leader move. close undoes nothing in kfake; it stops the
// helpers' clients, and belongs just before the cluster's own Close.
func Mend(c *kfake.Cluster) (close func(), err error) {
	j, err := StartJanitor(c, JanitorPeriod)
	if err != nil {
		return nil, fmt.Errorf("starting the group janitor: %w", err)
	}
	f, err := StartEpochFix(c)
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("starting the leader epoch fix: %w", err)
	}
	return func() { f.Close(); j.Close() }, nil
}
