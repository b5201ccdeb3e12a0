package notify

import (
	"context"
	"slices"
	"time"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// queueCountLimit bounds each count the outbox gauges read at a scrape:
// past it an exact figure alerts no better, and the read stays a few
// milliseconds of an index.
const queueCountLimit = 10000

// deliveryCounters count, by protocol, the outcomes this process's sender
// recorded.
type deliveryCounters struct {
	sent, failed, dead *prometheus.CounterVec
}

func newDeliveryCounters() deliveryCounters {
	vec := func(name, help string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "meshgate", Subsystem: "notify", Name: name, Help: help}, []string{"protocol"})
		for _, p := range []string{ProtocolEmail, ProtocolHTTPS, ProtocolHTTP} {
			c.WithLabelValues(p) // zeros, so that a rate has a start
		}
		return c
	}
	return deliveryCounters{
		sent: vec("deliveries_sent_total",
			"Deliveries this process sent, by protocol, counted once their outcome was recorded."),
		failed: vec("delivery_attempts_failed_total",
			"Delivery attempts of this process that failed, by protocol: retried later, or dead-lettered when retries ran out or the failure was permanent."),
		dead: vec("deliveries_dead_lettered_total",
			"Deliveries this process dead-lettered, by protocol: not tried again unless an admin retries them."),
	}
}

// count counts, once tx commits, the results the store recorded (done):
// one whose lease this process lost is another's to count.
func (c deliveryCounters) count(tx store.Tx, rs []store.DeliveryResult, done []int64) {
	if len(done) < len(rs) {
		kept := make(map[int64]bool, len(done))
		for _, id := range done {
			kept[id] = true
		}
		rs = slices.DeleteFunc(slices.Clone(rs), func(r store.DeliveryResult) bool { return !kept[r.ID] })
	}
	tx.AfterCommit(func() {
		for _, r := range rs {
			switch r.Status {
			case store.DeliverySent:
				c.sent.WithLabelValues(r.Protocol).Inc()
			case store.DeliveryFailed:
				c.failed.WithLabelValues(r.Protocol).Inc()
				c.dead.WithLabelValues(r.Protocol).Inc()
			default:
				c.failed.WithLabelValues(r.Protocol).Inc()
			}
		}
	})
}

// Metrics returns Prometheus collectors of the sender's counters in this
// process and of the outbox, read from the store at each scrape.
func (s *Service) Metrics() []prometheus.Collector {
	return []prometheus.Collector{s.counters.sent, s.counters.failed, s.counters.dead, &outboxCollector{s: s,
		waiting: prometheus.NewDesc("meshgate_notify_deliveries_waiting",
			"Deliveries not yet sent (due, in flight, or waiting for a retry), in the whole store: every replica's. Counts stop at 10000.", nil, nil),
		dead: prometheus.NewDesc("meshgate_notify_deliveries_dead_letters",
			"Dead-lettered deliveries kept (until retried or past the retention), in the whole store: every replica's. Counts stop at 10000.", nil, nil),
	}}
}

// outboxCollector reads the outbox's counts at each scrape, in a read
// transaction through the index of status: on SQLite it never waits for the
// writer. A failed read leaves both out of the scrape, and logs why.
type outboxCollector struct {
	s             *Service
	waiting, dead *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.waiting; ch <- c.dead }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var waiting, dead int
	err := c.s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if waiting, err = tx.CountDeliveries(ctx, store.DeliveryPending, queueCountLimit); err != nil {
			return err
		}
		dead, err = tx.CountDeliveries(ctx, store.DeliveryFailed, queueCountLimit)
		return err
	})
	if err != nil {
		c.s.log.Warn("notify: count the outbox for metrics", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(dead))
}
