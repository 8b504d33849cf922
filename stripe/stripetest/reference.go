package stripetest

import "encoding/json"

// The types below decode the parts of Stripe's bodies that the exporter
// uses with plain encoding/json, apart from the SDK, so that tests can check
// the client and the collector against an independent reading.

// RefAmount is one currency's funds with their breakdown by source type.
type RefAmount struct {
	Amount      int64            `json:"amount"`
	Currency    string           `json:"currency"`
	SourceTypes map[string]int64 `json:"source_types"`
}

// RefPlainAmount is one currency's funds, with no breakdown.
type RefPlainAmount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// RefBalance is a Balance object.
type RefBalance struct {
	Available        []*RefAmount `json:"available"`
	Pending          []*RefAmount `json:"pending"`
	InstantAvailable []*RefAmount `json:"instant_available"`
	ConnectReserved  []*RefAmount `json:"connect_reserved"`
	Issuing          *struct {
		Available []*RefAmount `json:"available"`
	} `json:"issuing"`
	RefundAndDisputePrefunding *struct {
		Available []*RefPlainAmount `json:"available"`
		Pending   []*RefPlainAmount `json:"pending"`
	} `json:"refund_and_dispute_prefunding"`
}

// RefTransaction is a BalanceTransaction object.
type RefTransaction struct {
	ID                string `json:"id"`
	Amount            int64  `json:"amount"`
	AvailableOn       int64  `json:"available_on"`
	Created           int64  `json:"created"`
	Currency          string `json:"currency"`
	Fee               int64  `json:"fee"`
	Net               int64  `json:"net"`
	Status            string `json:"status"`
	Type              string `json:"type"`
	ReportingCategory string `json:"reporting_category"`
	FeeDetails        []*struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
		Type     string `json:"type"`
	} `json:"fee_details"`
}

// RefList is a page of a list, its entries left encoded.
type RefList struct {
	Object  string            `json:"object"`
	HasMore bool              `json:"has_more"`
	Data    []json.RawMessage `json:"data"`
}

// IsObject says whether body is a JSON object whose "object" is object, as
// encoding/json (and so the SDK) matches field names.
func IsObject(body []byte, object string) bool {
	var o struct {
		Object string `json:"object"`
	}
	return json.Unmarshal(body, &o) == nil && o.Object == object
}
