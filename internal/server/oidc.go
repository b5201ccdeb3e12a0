package server

import (
	"context"

	"github.com/meshgate/meshgate/internal/auth/oidc"
)

// newOIDC builds sign-in through the configured identity providers, if any,
// and reads their metadata in the background: an unreachable provider
// delays nothing, its sign-ins answer "unavailable" until it answers.
func (s *Server) newOIDC(ctx context.Context) error {
	if len(s.cfg.OIDC.Providers) == 0 {
		return nil
	}
	svc, err := oidc.New(s.cfg.OIDC, s.Store, s.Auth, s.cfg.Clock, s.log)
	if err != nil {
		return err
	}
	s.OIDC = svc
	for _, p := range s.cfg.OIDC.Providers {
		if p.AccessTokenAudience != "" {
			s.Auth.SetBearer(svc.AuthenticateBearer)
			break
		}
	}
	go svc.Discover(context.WithoutCancel(ctx))
	return nil
}
