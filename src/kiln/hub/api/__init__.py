"""The exported, Koji-named methods: convert arguments, declare access, call the domain.

Every module here is scanned by ``rpc.build_registry``; functions marked with
``rpc.export`` become wire methods under their (camelCase) names.
"""
