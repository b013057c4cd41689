from plugformers import hookimpl


@hookimpl
def register_architectures(register):
    register("toy", config="plugformers_broken.conflict:RivalConfig")
