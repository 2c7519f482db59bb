package app

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
)

// newCommandService builds the agent command service: its specification
// signing key lives in the store, shared by every node (loadSpecSigner).
// Its calls are recorded only when RecordAgentCalls is set.
func newCommandService(ctx context.Context, cfg Config, db *store.DB, deploy *codedeploy.Service) (*codedeploy.CommandService, error) {
	signer, err := loadSpecSigner(ctx, db, cfg.Data)
	if err != nil {
		return nil, err
	}
	c := codedeploy.NewCommandService(deploy, signer, codedeploy.PollTiming{Hold: cfg.AgentPollHold, Repoll: cfg.AgentRepoll})
	c.Legacy.Unaudited, c.Secure.Unaudited = !cfg.RecordAgentCalls, !cfg.RecordAgentCalls
	return c, nil
}
