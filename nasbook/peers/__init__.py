"""Peers: other tools' search algorithms wrapped as nasbook strategies, for fair comparisons."""
