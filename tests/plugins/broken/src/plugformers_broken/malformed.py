from plugformers import hookimpl


@hookimpl
def register_architectures(register):
    register("malformed", config="not a module path")
