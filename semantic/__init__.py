"""A portable semantic layer for portfolio analytics.

Models (semantic.models) define every table once as an Ibis expression;
semantic.config says where the warehouse lives.
"""
