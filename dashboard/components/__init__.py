"""Dashboard sections: each a function of the plain filter values (`Where`) returning Panel objects."""
