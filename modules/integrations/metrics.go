package integrations

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/riverdriver"
)

// metrics of webhook delivery.
type metrics struct {
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
	duration   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_webhook_deliveries_total",
			Help: "Webhook delivery attempts by event type and outcome (succeeded, retried, failed).",
		}, []string{"event_type", "outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shop_webhook_delivery_latency_seconds",
			Help:    "Time from an event's commit to its successful delivery.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400},
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shop_webhook_request_duration_seconds",
			Help:    "Duration of one delivery attempt's HTTP request.",
			Buckets: prometheus.DefBuckets,
		}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.latency, m.duration)
	}
	return m
}

// queueDepth reports River's jobs by state on each scrape (one count query
// through River's driver).
type queueDepth struct {
	exec riverdriver.Executor
	desc *prometheus.Desc
}

func newQueueDepthCollector(exec riverdriver.Executor) *queueDepth {
	return &queueDepth{exec: exec, desc: prometheus.NewDesc("shop_jobs",
		"River jobs (events and webhook deliveries) by state: available, scheduled and retryable are the queue depth.",
		[]string{"state"}, nil)}
}

// Describe implements prometheus.Collector.
func (q *queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

// Collect implements prometheus.Collector.
func (q *queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := q.exec.JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.desc, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, float64(n), string(state))
	}
}
