// Everything that builds on the core speaks JSONValue.
@_exported import TresorJSON
