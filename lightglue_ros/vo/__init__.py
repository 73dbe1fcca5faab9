# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
