"""Warnings, notices and orders under the 2014 Act, with the statutory checks and the dates that follow."""
