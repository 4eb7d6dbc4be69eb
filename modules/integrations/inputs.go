package integrations

import (
	"fmt"
	"slices"

	"shop/internal/events"
	"shop/internal/valid"
	"shop/schema"
)

// The integrations' inputs validate themselves (Validate), and the service
// methods run the same checks first. The SSRF guard on a webhook's url
// needs the network and so is not part of Validate: Webhooks.Check runs it
// before the write transaction. REST decodes its
// bodies straight into these types.

// WebhookInput is a new endpoint.
type WebhookInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// Validate checks the url's length, the events (at least one, known, none
// twice) and the description's length.
func (in WebhookInput) Validate() error { return in.check(nil).Err() }

// check is Validate with url, when not nil, run on a well-formed url.
func (in WebhookInput) check(url func(string) error) valid.Fields {
	var f valid.Fields
	if f.Required("url", in.URL != "") {
		webhookURL(&f, in.URL, url)
	}
	if f.Required("events", in.Events != nil) {
		eventTypes(&f, in.Events)
	}
	f.Text("description", in.Description, 0, schema.MaxWebhookAbout)
	return f
}

// WebhookPatch changes any of an endpoint's fields.
type WebhookPatch struct {
	URL         *string  `json:"url"`
	Events      []string `json:"events"` // nil: unchanged
	Description *string  `json:"description"`
	Active      *bool    `json:"active"`
}

// Validate checks the fields the patch sets, as WebhookInput does.
func (p WebhookPatch) Validate() error { return p.check(nil).Err() }

func (p WebhookPatch) check(url func(string) error) valid.Fields {
	var f valid.Fields
	if p.URL != nil {
		webhookURL(&f, *p.URL, url)
	}
	if p.Events != nil {
		eventTypes(&f, p.Events)
	}
	if p.Description != nil {
		f.Text("description", *p.Description, 0, schema.MaxWebhookAbout)
	}
	return f
}

func webhookURL(f *valid.Fields, u string, guard func(string) error) {
	if !f.Text("url", u, 0, schema.MaxWebhookURL) || guard == nil {
		return
	}
	if err := guard(u); err != nil {
		f.Check("url", false, err.Error())
	}
}

// eventTypes reports every unknown or repeated type, not just the first.
func eventTypes(f *valid.Fields, evs []string) {
	if len(evs) == 0 {
		f.Add("events", "must list at least one event type")
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if !slices.Contains(events.Types, e) {
			f.Add("events", fmt.Sprintf("unknown event type %q", e))
		} else if seen[e] {
			f.Add("events", fmt.Sprintf("%q is listed twice", e))
		}
		seen[e] = true
	}
}

// KeyInput is a new API key.
type KeyInput struct {
	Name string `json:"name"`
}

// Validate checks the name.
func (in KeyInput) Validate() error {
	var f valid.Fields
	if f.Required("name", in.Name != "") {
		f.Text("name", in.Name, 1, schema.MaxAPIKeyName)
		f.NotBlank("name", schema.Blank(in.Name))
	}
	return f.Err()
}
