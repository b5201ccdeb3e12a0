package workflow_test

import (
	"errors"

	"github.com/meshgate/meshgate/internal/mesh"
)

func asMeshError(err error, target **mesh.Error) bool { return errors.As(err, target) }
