"""Ordo fulfillment service: releases an order to the warehouse once."""
