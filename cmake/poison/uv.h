/* Poison header: on the include path of the pure cores only, ahead of the system one. */
#error "layering: a pure core (hpa/, vpa/, common pure part, engine coordinator) must not include <uv.h> (DESIGN.md section 4)"
