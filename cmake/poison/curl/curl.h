/* Poison header: on the include path of the pure cores only, ahead of the system one. */
#error "layering: a pure core (hpa/, vpa/, common pure part, engine coordinator) must not include <curl/curl.h> (DESIGN.md section 4)"
