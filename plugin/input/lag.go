package input

import (
	"context"
	"strconv"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// lagLoop refreshes the lag gauge every period: for each partition of the
// group, the records after its committed offset. It asks the brokers
// rather than counting locally, so it shows the whole group's lag, every
// member's partitions included.
type lagLoop struct {
	quit, done chan struct{}
}

func startLag(cl *kgo.Client, group string, period time.Duration, gauge *service.MetricGauge) *lagLoop {
	l := &lagLoop{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		adm := kadm.NewClient(cl)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), period)
			lags, err := adm.Lag(ctx, group)
			cancel()
			if err == nil {
				lags.Each(func(l kadm.DescribedGroupLag) {
					for _, ml := range l.Lag.Sorted() {
						gauge.Set(ml.Lag, ml.Topic, strconv.Itoa(int(ml.Partition)))
					}
				})
			}
			select {
			case <-l.quit:
				return
			case <-t.C:
			}
		}
	}()
	return l
}

// stop ends the loop and waits for it.
func (l *lagLoop) stop() {
	close(l.quit)
	<-l.done
}
