package stripe

import sdk "github.com/stripe/stripe-go/v85"

func balanceFromSDK(b *sdk.Balance) *Balance {
	out := &Balance{
		Available:        amountsFromSDK(b.Available),
		Pending:          amountsFromSDK(b.Pending),
		InstantAvailable: amountsFromSDK(b.InstantAvailable),
		ConnectReserved:  amountsFromSDK(b.ConnectReserved),
	}
	if b.Issuing != nil {
		out.IssuingAvailable = amountsFromSDK(b.Issuing.Available)
	}
	if p := b.RefundAndDisputePrefunding; p != nil {
		for _, a := range p.Available {
			if a != nil {
				out.RefundAndDisputeAvailable = append(out.RefundAndDisputeAvailable, Funds{Currency: string(a.Currency), Amount: a.Amount})
			}
		}
		for _, a := range p.Pending {
			if a != nil {
				out.RefundAndDisputePending = append(out.RefundAndDisputePending, Funds{Currency: string(a.Currency), Amount: a.Amount})
			}
		}
	}
	return out
}

func amountsFromSDK(in []*sdk.BalanceAmount) []Funds {
	var out []Funds
	for _, a := range in {
		if a == nil {
			continue
		}
		f := Funds{Currency: string(a.Currency), Amount: a.Amount}
		if len(a.SourceTypes) > 0 {
			f.SourceTypes = make(map[string]int64, len(a.SourceTypes))
			for k, v := range a.SourceTypes {
				f.SourceTypes[string(k)] = v
			}
		}
		out = append(out, f)
	}
	return out
}

func transactionFromSDK(t *sdk.BalanceTransaction) BalanceTransaction {
	out := BalanceTransaction{
		ID:                t.ID,
		Currency:          string(t.Currency),
		Amount:            t.Amount,
		Fee:               t.Fee,
		Net:               t.Net,
		Status:            string(t.Status),
		Type:              string(t.Type),
		ReportingCategory: string(t.ReportingCategory),
		AvailableOn:       t.AvailableOn,
		Created:           t.Created,
	}
	for _, d := range t.FeeDetails {
		if d != nil {
			out.FeeDetails = append(out.FeeDetails, FeeDetail{Currency: string(d.Currency), Amount: d.Amount, Type: d.Type})
		}
	}
	return out
}

func payoutFromSDK(p *sdk.Payout) Payout {
	return Payout{
		ID:             p.ID,
		Amount:         p.Amount,
		Currency:       string(p.Currency),
		Status:         string(p.Status),
		ArrivalDate:    p.ArrivalDate,
		Created:        p.Created,
		FailureCode:    string(p.FailureCode),
		FailureMessage: p.FailureMessage,
		Automatic:      p.Automatic,
	}
}

func accountFromSDK(a *sdk.Account) Account {
	return Account{
		ID:             a.ID,
		Type:           string(a.Type),
		Country:        a.Country,
		ChargesEnabled: a.ChargesEnabled,
		PayoutsEnabled: a.PayoutsEnabled,
	}
}
